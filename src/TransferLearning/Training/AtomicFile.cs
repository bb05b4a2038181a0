namespace TransferLearning.Training;

/// <summary>Writes files through a temporary file in the same folder and a rename, so readers never see half a file.</summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<string> writeTemp)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        Persistence.StaleTempFiles.Remove(full);
        string tmp = Persistence.StaleTempFiles.NewTempPath(full);
        try
        {
            writeTemp(tmp);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp))
            {
                File.Delete(tmp);
            }
        }
    }

    public static void WriteText(string path, string text) => Write(path, tmp => File.WriteAllText(tmp, text));
}
