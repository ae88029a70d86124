// docs/channels.md, "The parley_channel extension": the GroupContext extension (type 0xF0C1) that makes an MLS
// group a private channel. Its layout is Parley.Content's ChannelExtensionFormat (shared with the clients); this
// is what the server requires of it.
using System.Text;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Server.Accounts;

namespace Parley.Server.Channels;

/// <summary>The private channel's name and admin usernames as its members' group context carries them. The server
/// reads it from GroupContextExtensions commits to keep its admin set (it never stores the name).</summary>
public sealed record ChannelExtension(string Name, IReadOnlyList<string> Admins)
{
    /// <summary>The extension type ("parley_channel"), in the private-use range of RFC 9420 §17.3.</summary>
    public const ushort Type = ChannelExtensionFormat.Type;

    /// <summary>The version this code writes and reads.</summary>
    public const byte CurrentVersion = ChannelExtensionFormat.Version;

    /// <summary>Most admins a channel may have.</summary>
    public const int MaxAdmins = 64;

    /// <summary>Longest channel name, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 256;

    /// <summary>Encodes the extension data.</summary>
    public byte[] Encode() => ChannelExtensionFormat.Encode(Name, Admins);

    /// <summary>Decodes and checks extension data: version 1, a name of at most <see cref="MaxNameBytes"/> bytes, and 1 to
    /// <see cref="MaxAdmins"/> distinct lower-case usernames. On failure <paramref name="error"/> says why.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> data, out ChannelExtension? extension, out string? error)
    {
        extension = null;
        if (!ChannelExtensionFormat.TryRead(data, out byte version, out byte[] nameBytes, out IReadOnlyList<byte[]> adminBytes))
        {
            error = "The parley_channel extension does not decode.";
            return false;
        }
        if (version != CurrentVersion)
        {
            error = $"The parley_channel extension has version {version}; this server reads version {CurrentVersion}.";
            return false;
        }
        string name;
        List<string> admins;
        try
        {
            name = ContentCodec.DecodeUtf8(nameBytes);
            admins = adminBytes.Select(static a => ContentCodec.DecodeUtf8(a)).ToList();
        }
        catch (MlsDecodeException)
        {
            error = "The parley_channel extension does not decode.";
            return false;
        }
        if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
        {
            error = $"A channel name has at most {MaxNameBytes} bytes.";
            return false;
        }
        if (admins.Count is 0 or > MaxAdmins)
        {
            error = $"A channel has 1 to {MaxAdmins} admins.";
            return false;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string admin in admins)
        {
            if (!Username.TryParse(admin, out Username parsed) || parsed.Value != admin || !seen.Add(admin))
            {
                error = "The channel's admins must be distinct lower-case usernames.";
                return false;
            }
        }
        extension = new ChannelExtension(name, admins);
        error = null;
        return true;
    }

    public bool Equals(ChannelExtension? other) => other is not null && Name == other.Name && Admins.SequenceEqual(other.Admins);

    public override int GetHashCode() => HashCode.Combine(Name, Admins.Count);
}
