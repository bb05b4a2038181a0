using System.Reflection;
using Spectre.Console.Cli;

namespace TransferLearning.Cli;

/// <summary>
/// Checks, before Spectre parses the command line, that every option that takes a value has one. Spectre.Console.Cli
/// 0.57 gives an option that ends the line (<c>tl train ... --output</c>), or that is followed by another option
/// (<c>--output --json</c>), the literal value <c>__default_command</c>; <c>tl</c> would then write a file of that name.
/// </summary>
internal static class OptionValueCheck
{
    /// <summary>Throws a <see cref="CliUsageException"/> when a value-taking option of <paramref name="settingsType"/> has no value.</summary>
    /// <param name="args">The arguments after the command name.</param>
    /// <param name="settingsType">The command's settings class.</param>
    /// <param name="command">The command name, for the message.</param>
    public static void Check(IReadOnlyList<string> args, Type settingsType, string command)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(settingsType);
        var options = ValueOptions(settingsType);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                return;
            }

            // "--output=path" carries its value inline.
            if (arg.Contains('=', StringComparison.Ordinal) || !options.TryGetValue(arg, out var valueName))
            {
                continue;
            }

            var next = i + 1 < args.Count ? args[i + 1] : null;
            if (next is null || (next.StartsWith("--", StringComparison.Ordinal) && next.Length > 2))
            {
                throw new CliUsageException(
                    next is null
                        ? $"{arg} needs a value ({arg} {valueName}), but the command line ends there; see 'tl {command} --help'."
                        : $"{arg} needs a value ({arg} {valueName}), but it is followed by the option {next}; see 'tl {command} --help'.");
            }

            i++;
        }
    }

    /// <summary>Every long and short name (with dashes) of the options of a settings type that take a required value, with the value's name.</summary>
    internal static Dictionary<string, string> ValueOptions(Type settingsType)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var type = settingsType; type is not null && type != typeof(object); type = type.BaseType)
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                var option = property.GetCustomAttribute<CommandOptionAttribute>();
                if (option is null || option.ValueName is null || option.ValueIsOptional)
                {
                    continue;
                }

                foreach (var name in option.LongNames)
                {
                    result.TryAdd("--" + name, $"<{option.ValueName}>");
                }

                foreach (var name in option.ShortNames)
                {
                    result.TryAdd("-" + name, $"<{option.ValueName}>");
                }
            }
        }

        return result;
    }
}
