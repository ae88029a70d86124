// docs/channels.md, "The parley_channel extension": the GroupContext extension (type 0xF0C1, RFC 9420 §13.4
// private use) that makes an MLS group a private channel. Its layout is written and read only here, for the
// clients that keep it and the server that follows its admin set.
//
//   struct {
//       uint8  version = 1;
//       opaque name<V>;       // UTF-8
//       opaque admins<V>;     // a vector of opaque username<V> (lower case)
//   } ParleyChannel;
using System.Text;
using Parley.Mls.Codec;

namespace Parley.Content;

/// <summary>The byte layout of the parley_channel extension. What a reader then requires of the name and admins (and
/// how strictly it reads their UTF-8) is its own rule: the server refuses a malformed extension, a client treats one
/// as naming nobody admin.</summary>
public static class ChannelExtensionFormat
{
    /// <summary>The extension type ("parley_channel"), in the private-use range of RFC 9420 §17.3.</summary>
    public const ushort Type = 0xF0C1;

    /// <summary>The version this code writes and reads.</summary>
    public const byte Version = 1;

    /// <summary>The extension data for a channel called <paramref name="name"/> with these admins, in this order.</summary>
    public static byte[] Encode(string name, IReadOnlyList<string> admins)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(admins);
        var w = new TlsWriter(64 + 16 * admins.Count);
        w.WriteUInt8(Version);
        w.WriteOpaque(Encoding.UTF8.GetBytes(name));
        w.WriteVector(admins, static (x, admin) => x.WriteOpaque(Encoding.UTF8.GetBytes(admin)));
        return w.ToArray();
    }

    /// <summary>Reads the extension data: false when it does not decode. For a version other than
    /// <see cref="Version"/> it answers true with that version and empty fields, since that layout is unknown.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> data, out byte version, out byte[] name, out IReadOnlyList<byte[]> admins)
    {
        version = 0;
        name = [];
        admins = [];
        try
        {
            var r = new TlsReader(data);
            version = r.ReadUInt8();
            if (version != Version)
            {
                return true;
            }
            name = r.ReadOpaque();
            admins = r.ReadList(static x => x.ReadOpaque());
            r.EnsureEnd();
            return true;
        }
        catch (MlsDecodeException)
        {
            name = [];
            admins = [];
            return false;
        }
    }
}
