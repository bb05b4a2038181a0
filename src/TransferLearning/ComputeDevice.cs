using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace TransferLearning;

/// <summary>
/// Chooses the device a model runs on (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>) and checks that it exists before any
/// weights move. CUDA needs a CUDA build of TorchSharp: reference NuGet <c>TorchSharp-cuda-linux</c> (Linux) or
/// <c>TorchSharp-cuda-windows</c> (Windows) instead of <c>TorchSharp-cpu</c>, at the same version as <c>TorchSharp</c>.
/// </summary>
public static class ComputeDevice
{
    /// <summary>The NuGet package that brings the CUDA backend on Linux.</summary>
    public const string CudaLinuxPackage = "TorchSharp-cuda-linux";

    /// <summary>The NuGet package that brings the CUDA backend on Windows.</summary>
    public const string CudaWindowsPackage = "TorchSharp-cuda-windows";

    /// <summary>The CPU.</summary>
    public static Device Cpu => CPU;

    /// <summary>Whether a CUDA backend is loaded and sees at least one GPU.</summary>
    public static bool IsCudaAvailable => cuda.is_available();

    /// <summary>The first GPU when CUDA is available, otherwise the CPU (PyTorch's <c>"cuda" if available else "cpu"</c>).</summary>
    public static Device Best => IsCudaAvailable ? new Device(DeviceType.CUDA, 0) : CPU;

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (case-insensitive) and checks that the device exists.</summary>
    /// <param name="spec">The device name.</param>
    /// <returns>The device.</returns>
    /// <exception cref="ArgumentException">Not one of the accepted forms.</exception>
    /// <exception cref="DeviceUnavailableException">CUDA was asked for but no CUDA backend or no such GPU is present.</exception>
    public static Device Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string s = spec.Trim().ToLowerInvariant();
        Device device;
        if (s == "cpu")
        {
            device = CPU;
        }
        else if (s == "cuda")
        {
            device = new Device(DeviceType.CUDA, 0);
        }
        else if (s.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(s.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            device = new Device(DeviceType.CUDA, index);
        }
        else
        {
            throw new ArgumentException($"Unknown device '{spec}': use cpu, cuda or cuda:N (N = 0, 1, ...).", nameof(spec));
        }

        return EnsureAvailable(device);
    }

    /// <summary>Checks that a device can be used; returns it unchanged.</summary>
    /// <param name="device">The device.</param>
    /// <exception cref="DeviceUnavailableException">CUDA was asked for but no CUDA backend or no such GPU is present; the message names the package to reference.</exception>
    /// <exception cref="NotSupportedException">A device type other than CPU or CUDA.</exception>
    public static Device EnsureAvailable(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        switch (device.type)
        {
            case DeviceType.CPU:
                return device;
            case DeviceType.CUDA:
                if (!cuda.is_available())
                {
                    throw new DeviceUnavailableException(
                        $"Device '{device}' was requested, but TorchSharp has no CUDA backend here. Reference the NuGet package " +
                        $"{CudaLinuxPackage} (Linux) or {CudaWindowsPackage} (Windows) instead of TorchSharp-cpu, at the version of TorchSharp " +
                        "the application uses, and check that the NVIDIA driver works (nvidia-smi); or run on 'cpu'.");
                }

                int count = cuda.device_count();
                int index = Math.Max(0, (int)device.index);
                if (index >= count)
                {
                    throw new DeviceUnavailableException(
                        $"Device '{device}' was requested, but CUDA sees {count} GPU(s) (cuda:0 to cuda:{count - 1}).");
                }

                return device;
            default:
                throw new NotSupportedException($"Device type {device.type} is not supported: use the CPU or a CUDA GPU.");
        }
    }
}
