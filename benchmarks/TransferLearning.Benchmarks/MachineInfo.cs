using System.Runtime.InteropServices;

namespace TransferLearning.Benchmarks;

/// <summary>Describes the machine a benchmark ran on.</summary>
internal static class MachineInfo
{
    public static string Describe()
    {
        string cpu = "unknown CPU";
        if (File.Exists("/proc/cpuinfo"))
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }

        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024 * 1024);
        return $"{cpu}, {Environment.ProcessorCount} cores, {memory} GiB, {RuntimeInformation.OSDescription}, TorchSharp threads = {Environment.ProcessorCount}";
    }
}
