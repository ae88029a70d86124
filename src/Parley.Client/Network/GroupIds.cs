// Parley server protocol v1, "Conventions": group ids appear in URLs as unpadded base64url.
using System.Buffers.Text;

namespace Parley.Client.Network;

/// <summary>Converts MLS group ids to and from their unpadded base64url form.</summary>
public static class GroupIds
{
    /// <summary>The unpadded base64url form of <paramref name="groupId"/>.</summary>
    public static string ToUrl(ReadOnlySpan<byte> groupId) => Base64Url.EncodeToString(groupId);

    /// <summary>The group id of an unpadded base64url string.</summary>
    public static byte[] FromUrl(string text) => Base64Url.DecodeFromChars(text);
}
