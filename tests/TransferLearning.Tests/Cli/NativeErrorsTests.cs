using TransferLearning.Cli;

namespace TransferLearning.Tests.Cli;

public sealed class NativeErrorsTests
{
    private const string LibTorchMessage =
        "Unsupported TypeMeta in ATen:  (please report this error)\n" +
        "Exception raised from toScalarType at /pytorch/c10/core/ScalarTypeToTypeMeta.h:33 (most recent call first):\n" +
        "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x9c (0x7f in libc10.so)\n" +
        "frame #1: c10::detail::torchCheckFail(char const*, char const*, unsigned int, std::string const&) + 0x6a (0x7f in libc10.so)\n";

    [Fact]
    public void OneLine_LibTorchMessage_KeepsTheFirstSentenceOnly()
    {
        Assert.Equal("Unsupported TypeMeta in ATen:  (please report this error)", NativeErrors.OneLine(LibTorchMessage));
    }

    [Fact]
    public void ReportError_NativeException_OneLineWithoutBacktrace()
    {
        using var stderr = new StringWriter();
        var environment = new CliEnvironment(new StringWriter(), stderr);

        int code = TlApp.ReportError(environment, new System.Runtime.InteropServices.ExternalException(LibTorchMessage));

        Assert.Equal(TlApp.ExitFailure, code);
        var line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("tl: error: Unsupported TypeMeta in ATen:  (please report this error)", line);
    }

    [Fact]
    public void ReportError_OutOfMemory_SaysWhatToTry()
    {
        using var stderr = new StringWriter();
        var environment = new CliEnvironment(new StringWriter(), stderr);

        int code = TlApp.ReportError(environment, new OutOfMemoryException());

        Assert.Equal(TlApp.ExitFailure, code);
        Assert.Contains("out of memory", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("--batch-size", stderr.ToString(), StringComparison.Ordinal);
    }
}
