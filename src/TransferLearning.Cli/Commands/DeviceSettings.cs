using System.ComponentModel;
using Spectre.Console.Cli;

namespace TransferLearning.Cli.Commands;

/// <summary>Settings shared by the commands that run a model: <c>--device</c> on top of <c>--json</c>.</summary>
public class DeviceSettings : JsonSettings
{
    /// <summary>Device to run the model on: cpu, cuda or cuda:N.</summary>
    [CommandOption("--device <DEVICE>")]
    [Description("Device to run the model on: cpu (default), cuda or cuda:N. CUDA needs a tl built with TorchSharp-cuda-linux or TorchSharp-cuda-windows.")]
    public string? Device { get; init; }
}
