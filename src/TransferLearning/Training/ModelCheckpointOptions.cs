namespace TransferLearning.Training;

/// <summary>Settings of <see cref="ModelCheckpoint"/>.</summary>
public sealed record ModelCheckpointOptions
{
    /// <summary>Folder of the checkpoint files (created when missing). Required.</summary>
    public required string Directory { get; init; }

    /// <summary>Write <c>best&lt;ext&gt;</c> whenever <see cref="Monitor"/> improves. Default true.</summary>
    public bool SaveBest { get; init; } = true;

    /// <summary>Write <c>last&lt;ext&gt;</c> after every epoch. Default false.</summary>
    public bool SaveLast { get; init; }

    /// <summary>Metric watched for <see cref="SaveBest"/>. Default "val_loss" (falls back to "train_loss").</summary>
    public string Monitor { get; init; } = "val_loss";

    /// <summary>Direction of improvement. Default <see cref="MonitorMode.Auto"/>.</summary>
    public MonitorMode Mode { get; init; } = MonitorMode.Auto;

    /// <summary>File format. Default <see cref="Persistence.ModelFileCheckpointWriter"/>: complete model files (<c>.tlm</c>) that <see cref="Persistence.TransferModelFile.Load(string, TorchSharp.torch.Device?)"/> and predictors read; <see cref="TorchSharpCheckpointWriter.Instance"/> writes bare TorchSharp weights.</summary>
    public ICheckpointWriter Writer { get; init; } = new Persistence.ModelFileCheckpointWriter();

    /// <summary>Path of the best checkpoint.</summary>
    public string BestPath => Path.Combine(Directory, "best" + Writer.Extension);

    /// <summary>Path of the last checkpoint.</summary>
    public string LastPath => Path.Combine(Directory, "last" + Writer.Extension);

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is invalid.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Directory, nameof(Directory));
        ArgumentException.ThrowIfNullOrWhiteSpace(Monitor, nameof(Monitor));
        ArgumentNullException.ThrowIfNull(Writer, nameof(Writer));
        if (!SaveBest && !SaveLast)
        {
            throw new ArgumentException("Enable SaveBest, SaveLast or both.", nameof(SaveBest));
        }
    }
}
