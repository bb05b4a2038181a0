using System.Runtime.InteropServices;

namespace TransferLearning.Data;

/// <summary>What a path names once links are followed.</summary>
internal enum FileKind
{
    /// <summary>The type could not be determined (Windows, or the runtime's native shim is unavailable).</summary>
    Unknown,

    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A folder.</summary>
    Directory,

    /// <summary>A named pipe (FIFO).</summary>
    Fifo,

    /// <summary>A character device such as <c>/dev/zero</c>.</summary>
    CharacterDevice,

    /// <summary>A block device such as a disk.</summary>
    BlockDevice,

    /// <summary>A Unix domain socket.</summary>
    Socket,

    /// <summary>Nothing (missing, or a broken link).</summary>
    Missing,
}

/// <summary>
/// Finds the type of a file without opening it (opening a named pipe blocks until a writer appears), through the
/// <c>stat</c> wrapper of .NET's own native shim (<c>libSystem.Native</c>, which every .NET on Unix ships). Where that
/// is unavailable the type is <see cref="FileKind.Unknown"/> and callers rely on the size reported by the file system.
/// </summary>
internal static class FileKinds
{
    private const int TypeMask = 0xF000;
    private static readonly Lazy<bool> Available = new(Probe);

    /// <summary>The type of <paramref name="path"/>, links followed.</summary>
    public static FileKind Of(string path)
    {
        if (OperatingSystem.IsWindows() || !Available.Value)
        {
            return FileKind.Unknown;
        }

        try
        {
            if (Stat(path, out var status) != 0)
            {
                return FileKind.Missing;
            }

            return (status.Mode & TypeMask) switch
            {
                0x8000 => FileKind.Regular,
                0x4000 => FileKind.Directory,
                0x1000 => FileKind.Fifo,
                0x2000 => FileKind.CharacterDevice,
                0x6000 => FileKind.BlockDevice,
                0xC000 => FileKind.Socket,
                _ => FileKind.Unknown,
            };
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return FileKind.Unknown;
        }
    }

    /// <summary>"a named pipe (FIFO)", "a character device", ...</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a folder",
        FileKind.Fifo => "a named pipe (FIFO)",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        FileKind.Missing => "missing",
        _ => "of an unknown type",
    };

    /// <summary>The shim works and lays out the mode where expected: the base directory must come out as a folder.</summary>
    private static bool Probe()
    {
        try
        {
            return Stat(AppContext.BaseDirectory, out var status) == 0 && (status.Mode & TypeMask) == 0x4000;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int Stat(string path, out FileStatus output);

    /// <summary>The start of the shim's <c>FileStatus</c> (flags, mode, ...); sized generously for the fields that follow.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 512)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
    }
}
