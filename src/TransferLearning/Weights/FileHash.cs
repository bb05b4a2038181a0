using System.Security.Cryptography;

namespace TransferLearning.Weights;

/// <summary>SHA-256 helpers for weight files.</summary>
internal static class FileHash
{
    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    /// <param name="path">The file.</param>
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    /// <summary>
    /// Whether <paramref name="actualHex"/> matches <paramref name="expected"/>, which may be a prefix of at least 8 hex
    /// digits (torchvision puts only the first 8 digits of the SHA-256 in its file names, as torch.hub's check_hash).
    /// </summary>
    /// <param name="actualHex">Full lower-case hex digest.</param>
    /// <param name="expected">Expected digest or prefix.</param>
    public static bool Matches(string actualHex, string expected) =>
        expected.Length >= 8 && actualHex.StartsWith(expected.Trim().ToLowerInvariant(), StringComparison.Ordinal);

    /// <summary>Whether a string is a usable expected digest: 8 to 64 hex digits.</summary>
    /// <param name="value">The string.</param>
    public static bool IsValidExpected(string? value) =>
        value is { Length: >= 8 and <= 64 } && value.All(Uri.IsHexDigit);
}
