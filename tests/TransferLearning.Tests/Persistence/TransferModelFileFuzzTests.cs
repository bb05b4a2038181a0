using CsCheck;
using TransferLearning.Persistence;

namespace TransferLearning.Tests.Persistence;

/// <summary>
/// Fuzzes the loader with truncations and bit flips of a real model file (ResNet18 cut after layer1, about 0.6 MB).
/// Decision: every truncation must fail with <see cref="ModelFileException"/>; a bit flip must either fail with
/// <see cref="ModelFileException"/> or, when it only touches zip bookkeeping outside both checksummed entries (for
/// example a timestamp), load a model bitwise identical to the original. Nothing else is allowed.
/// </summary>
public sealed class TransferModelFileFuzzTests : IClassFixture<TransferModelFileFuzzTests.Fixture>
{
    private readonly Fixture fixture;

    public TransferModelFileFuzzTests(Fixture fixture) => this.fixture = fixture;

    [Fact]
    public void Load_RandomTruncations_AlwaysThrowModelFileException()
    {
        byte[] file = fixture.File;
        var lengths = Gen.OneOf(Gen.Int[0, file.Length - 1], Gen.Int[0, 4096], Gen.Int[file.Length - 2048, file.Length - 1]);
        lengths.Sample(length =>
        {
            using var stream = new MemoryStream(file, 0, length, writable: false);
            Assert.Throws<ModelFileException>(() => TransferModelFile.Load(stream));
        }, iter: 60, threads: 1);
    }

    [Fact]
    public void Load_RandomBitFlips_ThrowModelFileExceptionOrLoadIdenticalModel()
    {
        byte[] file = fixture.File;
        var positions = Gen.OneOf(Gen.Int[0, file.Length - 1], Gen.Int[0, 2047], Gen.Int[file.Length - 1024, file.Length - 1]);
        int failures = 0;
        Gen.Select(positions, Gen.Int[0, 7]).Sample((position, bit) =>
        {
            byte[] copy = (byte[])file.Clone();
            copy[position] ^= (byte)(1 << bit);
            using var stream = new MemoryStream(copy, writable: false);
            TransferModel loaded;
            try
            {
                loaded = TransferModelFile.Load(stream);
            }
            catch (ModelFileException)
            {
                failures++;
                return;
            }

            using (loaded)
            {
                TestModels.AssertSameState(fixture.Model, loaded);
            }
        }, iter: 80, threads: 1);

        Assert.True(failures > 40, $"Only {failures} of 80 flips were detected.");
    }

    public sealed class Fixture : IDisposable
    {
        public Fixture()
        {
            Model = TestModels.TinyResNet();
            using var buffer = new MemoryStream();
            TransferModelFile.Save(Model, buffer);
            File = buffer.ToArray();
        }

        public TransferModel Model { get; }

        public byte[] File { get; }

        public void Dispose() => Model.Dispose();
    }
}
