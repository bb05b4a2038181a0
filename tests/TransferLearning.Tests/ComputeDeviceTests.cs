using TorchSharp;
using TransferLearning.Persistence;
using TransferLearning.Prediction;
using TransferLearning.Weights;
using static TorchSharp.torch;

namespace TransferLearning.Tests;

public class ComputeDeviceTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData(" CPU ")]
    public void Parse_Cpu_ReturnsCpu(string spec) => Assert.Equal(DeviceType.CPU, ComputeDevice.Parse(spec).type);

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("")]
    public void Parse_Malformed_ThrowsArgumentException(string spec) => Assert.Throws<ArgumentException>(() => ComputeDevice.Parse(spec));

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:1")]
    public void Parse_CudaWithoutBackend_ThrowsNamingBothCudaPackages(string spec)
    {
        Assert.False(ComputeDevice.IsCudaAvailable, "this test checks the error on a machine without CUDA");

        var e = Assert.Throws<DeviceUnavailableException>(() => ComputeDevice.Parse(spec));

        Assert.Contains(ComputeDevice.CudaLinuxPackage, e.Message, StringComparison.Ordinal);
        Assert.Contains(ComputeDevice.CudaWindowsPackage, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_OnCudaWithoutBackend_ThrowsBeforeLoadingWeights()
    {
        Assert.False(ComputeDevice.IsCudaAvailable, "this test checks the error on a machine without CUDA");
        var weights = new CountingWeights();
        var builder = new TransferModelBuilder().WithBackbone("resnet18").WithWeights(weights).WithClassCount(2).OnDevice(new Device(DeviceType.CUDA, 0));

        Assert.Throws<DeviceUnavailableException>(() => builder.Build());
        Assert.Equal(0, weights.Loads);
    }

    private sealed class CountingWeights : IWeightsSource
    {
        public int Loads { get; private set; }

        public string Description => "counting";

        public string Fingerprint => "counting";

        public void LoadInto(TransferLearning.Backbones.BackboneModule backbone, CancellationToken cancellationToken = default) => Loads++;
    }

    [Fact]
    public void LoadAndPredictor_OnCpuAndOnMissingCuda_CpuWorksCudaNamesPackage()
    {
        string path = Path.Combine(Path.GetTempPath(), $"tl-device-{Guid.NewGuid():N}.tlm");
        try
        {
            using (var model = new TransferModelBuilder().WithBackbone("resnet18").WithWeights(RandomWeights.Instance)
                .WithClassCount(2).WithInputSize(32).OnDevice(ComputeDevice.Cpu).Build())
            {
                TransferModelFile.Save(model, path);
            }

            using (var predictor = Predictor.FromFile(path, device: ComputeDevice.Parse("cpu")))
            {
                Assert.Equal(DeviceType.CPU, predictor.Model.Device.type);
            }

            if (!ComputeDevice.IsCudaAvailable)
            {
                var e = Assert.Throws<DeviceUnavailableException>(() => TransferModelFile.Load(path, new Device(DeviceType.CUDA, 0)));
                Assert.Contains(ComputeDevice.CudaLinuxPackage, e.Message, StringComparison.Ordinal);
                Assert.Throws<DeviceUnavailableException>(() => Predictor.FromFile(path, device: new Device(DeviceType.CUDA, 0)));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
