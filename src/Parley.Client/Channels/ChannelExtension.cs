// Parley's GroupContext extension for private channels (RFC 9420 §13.4, private-use code point 0xF0C1,
// "parley_channel"; docs/channels.md). A group whose context carries it is a channel: only the devices of
// the accounts it names as admins may post, commit Adds, Removes or changes to it.
//
//   struct {
//       uint8 version = 1;
//       opaque name<V>;      // the channel's name (UTF-8)
//       opaque admins<V>;    // a vector of opaque username<V>, lower case
//   } ParleyChannel;
// The layout is Parley.Content's ChannelExtensionFormat, shared with the server.
using System.Text;
using Parley.Content;
using Parley.Mls.Messages;

namespace Parley.Client.Channels;

/// <summary>A private channel's name and admins, as every member's GroupContext carries them.</summary>
public sealed record ChannelExtension
{
    /// <summary>The extension type (private use range of RFC 9420 §17.3).</summary>
    public const ushort ExtensionType = ChannelExtensionFormat.Type;

    /// <summary>The encoding version this code reads and writes.</summary>
    public const byte Version = ChannelExtensionFormat.Version;

    public ChannelExtension(string name, IReadOnlyList<string> admins)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(admins);
        Name = name;
        Admins = admins.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The channel's name.</summary>
    public string Name { get; }

    /// <summary>The admins' user names, sorted.</summary>
    public IReadOnlyList<string> Admins { get; }

    /// <summary>True when <paramref name="username"/> is an admin.</summary>
    public bool IsAdmin(string? username) => username is not null && Admins.Contains(username, StringComparer.Ordinal);

    /// <summary>The same channel with another admin list.</summary>
    public ChannelExtension WithAdmins(IEnumerable<string> admins) => new(Name, admins.ToArray());

    /// <summary>The GroupContext extension.</summary>
    public Extension ToExtension() => new(ExtensionType, ChannelExtensionFormat.Encode(Name, Admins));

    /// <summary>The channel a group's context extensions describe, or null when the group is not a channel or
    /// the extension is malformed (a malformed one makes nobody an admin).</summary>
    public static ChannelExtension? Of(IReadOnlyList<Extension> groupContextExtensions)
    {
        ArgumentNullException.ThrowIfNull(groupContextExtensions);
        foreach (var e in groupContextExtensions)
        {
            if (e.Type == ExtensionType)
            {
                return TryDecode(e.Data);
            }
        }
        return null;
    }

    /// <summary>True when the extensions carry a 0xF0C1 extension at all (well-formed or not).</summary>
    public static bool IsPresent(IReadOnlyList<Extension> groupContextExtensions)
        => groupContextExtensions.Any(e => e.Type == ExtensionType);

    /// <summary>Decodes the extension data, or null when it is malformed or of another version.</summary>
    public static ChannelExtension? TryDecode(ReadOnlyMemory<byte> data)
    {
        if (!ChannelExtensionFormat.TryRead(data, out byte version, out byte[] nameBytes, out IReadOnlyList<byte[]> adminBytes) || version != Version)
        {
            return null;
        }
        string name = Encoding.UTF8.GetString(nameBytes);
        return string.IsNullOrWhiteSpace(name) ? null : new ChannelExtension(name, adminBytes.Select(a => Encoding.UTF8.GetString(a)).ToList());
    }
}
