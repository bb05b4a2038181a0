using System.ComponentModel;
using Spectre.Console.Cli;

namespace TransferLearning.Cli.Commands;

/// <summary>Settings shared by the commands that can print one JSON object instead of tables.</summary>
public class JsonSettings : CommandSettings
{
    /// <summary>Print one JSON object on standard output (progress and messages go to standard error).</summary>
    [CommandOption("--json")]
    [Description("Print one JSON object on standard output (progress goes to standard error).")]
    public bool Json { get; init; }
}
