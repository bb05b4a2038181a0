using System.Text.Json;

namespace TransferLearning.Tests.Cli;

/// <summary>Trains one small model with <c>tl train --json</c> (ResNet18, random weights, 48 px, 3 generated classes) for the CLI tests to share.</summary>
public sealed class TrainedModelFixture : IDisposable
{
    public TrainedModelFixture()
    {
        Root = Directory.CreateTempSubdirectory("tl-cli-").FullName;
        Data = Path.Combine(Root, "data");
        CliTestData.WriteFolder(Data, perClass: 12, size: 48, seed: 1);
        Holdout = Path.Combine(Root, "holdout");
        CliTestData.WriteFolder(Holdout, perClass: 3, size: 48, seed: 2);
        Model = Path.Combine(Root, "out", "shapes.tlm");
        Directory.CreateDirectory(Path.GetDirectoryName(Model)!);
        Train = CliRunner.Run(
            "train", "--data", Data, "--backbone", "resnet18", "--weights", "random", "--image-size", "48",
            "--epochs-head", "2", "--epochs-finetune", "1", "--unfreeze", "1", "--lr-head", "3e-3", "--lr-finetune", "1e-4",
            "--batch-size", "8", "--val-split", "0.25", "--seed", "7", "--cache", "--output", Model, "--json");
        if (Train.ExitCode == 0)
        {
            TrainJson = JsonDocument.Parse(Train.StdOut);
        }
    }

    public string Root { get; }

    public string Data { get; }

    public string Holdout { get; }

    public string Model { get; }

    internal CliResult Train { get; }

    public JsonDocument? TrainJson { get; }

    public void Dispose()
    {
        TrainJson?.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
