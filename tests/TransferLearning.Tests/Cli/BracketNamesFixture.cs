using TransferLearning.Backbones;

namespace TransferLearning.Tests.Cli;

/// <summary>
/// A data folder, class names, a weights file and an output folder whose names all contain Spectre markup characters
/// (<c>[</c>, <c>]</c>), and a model trained on them with <c>tl train</c> in human (non-JSON) mode.
/// </summary>
public sealed class BracketNamesFixture : IDisposable
{
    public static readonly string[] Classes = ["disc[s]", "squares", "[triangles]"];

    public BracketNamesFixture()
    {
        Root = Directory.CreateTempSubdirectory("tl-brackets-").FullName;
        Data = Path.Combine(Root, "data [x]");
        CliTestData.WriteFolder(Data, perClass: 5, size: 40, seed: 3);
        for (var i = 0; i < Classes.Length; i++)
        {
            if (Classes[i] != CliTestData.Classes[i])
            {
                Directory.Move(Path.Combine(Data, CliTestData.Classes[i]), Path.Combine(Data, Classes[i]));
            }
        }

        Weights = Path.Combine(Root, "w[1] [batch, 3].dat");
        using (var backbone = BackboneModule.Create(BackboneCatalog.ResNet18))
        {
            backbone.save(Weights);
        }

        Output = Path.Combine(Root, "out [1]");
        Model = Path.Combine(Output, "m[batch, 3].tlm");
        Train = CliRunner.Run(
            "train", "--data", Data, "--backbone", "resnet18", "--weights", Weights, "--image-size", "32",
            "--epochs-head", "1", "--epochs-finetune", "0", "--batch-size", "8", "--val-split", "0.4", "--output", Model);
    }

    public string Root { get; }

    public string Data { get; }

    public string Weights { get; }

    public string Output { get; }

    public string Model { get; }

    internal CliResult Train { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
