using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TransferLearning.Cli.Output;

/// <summary>Writes the single JSON object of a <c>--json</c> run (snake_case names, indented, finite numbers).</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void Write(CliEnvironment environment, object value)
    {
        environment.StdOut.WriteLine(JsonSerializer.Serialize(value, value.GetType(), Options));
        environment.StdOut.Flush();
    }
}
