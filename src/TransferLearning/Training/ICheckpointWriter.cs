namespace TransferLearning.Training;

/// <summary>Writes a model to a file for <see cref="ModelCheckpoint"/> (swap it to change the file format).</summary>
public interface ICheckpointWriter
{
    /// <summary>File extension written, with the dot (for example ".dat").</summary>
    string Extension { get; }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/>. The caller handles atomicity (it passes a temporary path and renames it).</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">Destination file.</param>
    void Write(TransferModel model, string path);
}
