using System.Buffers.Text;

namespace Parley.Server.Groups;

/// <summary>An MLS group id (opaque bytes chosen by the creator), written in URLs and JSON as
/// unpadded base64url.</summary>
public readonly record struct GroupId(string Value)
{
    /// <summary>Longest accepted group id, in bytes.</summary>
    public const int MaxBytes = 64;

    /// <summary>The id of the group whose MLS group_id is <paramref name="bytes"/>.</summary>
    public static GroupId FromBytes(ReadOnlySpan<byte> bytes) => new(Base64Url.EncodeToString(bytes));

    /// <summary>Parses base64url text of 1–64 bytes; false otherwise.</summary>
    public static bool TryParse(string? text, out GroupId id)
    {
        id = default;
        if (string.IsNullOrEmpty(text) || text.Length > 86 || !Base64Url.IsValid(text, out int length)
            || length is 0 or > MaxBytes)
        {
            return false;
        }
        // Canonical form only, so one group has one id string.
        byte[] bytes = Base64Url.DecodeFromChars(text);
        id = FromBytes(bytes);
        return id.Value == text;
    }

    /// <summary>The group id's bytes, as MLS carries them.</summary>
    public byte[] ToBytes() => Base64Url.DecodeFromChars(Value);

    public override string ToString() => Value;
}
