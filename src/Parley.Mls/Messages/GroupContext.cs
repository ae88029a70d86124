// RFC 9420 §8.1 (group context).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>The shared state of a group at one epoch; every member derives the epoch's keys from it.</summary>
public sealed record GroupContext(
    ushort CipherSuite,
    byte[] GroupId,
    ulong Epoch,
    byte[] TreeHash,
    byte[] ConfirmedTranscriptHash,
    IReadOnlyList<Extension> Extensions) : IMlsEncodable
{
    /// <summary>ProtocolVersion mls10.</summary>
    public const ushort Mls10 = 1;

    public void Encode(TlsWriter writer)
    {
        writer.WriteUInt16(Mls10);
        writer.WriteUInt16(CipherSuite);
        writer.WriteOpaque(GroupId);
        writer.WriteUInt64(Epoch);
        writer.WriteOpaque(TreeHash);
        writer.WriteOpaque(ConfirmedTranscriptHash);
        Extension.WriteList(writer, Extensions);
    }

    public static GroupContext Decode(TlsReader reader)
    {
        ushort version = reader.ReadUInt16();
        if (version != Mls10)
        {
            throw new MlsDecodeException($"Unsupported protocol version {version}.");
        }
        return new GroupContext(
            reader.ReadUInt16(),
            reader.ReadOpaque(),
            reader.ReadUInt64(),
            reader.ReadOpaque(),
            reader.ReadOpaque(),
            Extension.ReadList(reader));
    }

    public bool Equals(GroupContext? other)
        => other is not null
           && CipherSuite == other.CipherSuite
           && GroupId.AsSpan().SequenceEqual(other.GroupId)
           && Epoch == other.Epoch
           && TreeHash.AsSpan().SequenceEqual(other.TreeHash)
           && ConfirmedTranscriptHash.AsSpan().SequenceEqual(other.ConfirmedTranscriptHash)
           && Extensions.SequenceEqual(other.Extensions);

    public override int GetHashCode() => HashCode.Combine(CipherSuite, Epoch, GroupId.Length);
}
