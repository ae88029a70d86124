// RFC 9420 §6.3.2 (sender data encryption: SenderData).
using Parley.Mls.Codec;
using Parley.Mls.Tree;

namespace Parley.Mls.Messages;

/// <summary>The encrypted sender of a PrivateMessage: the member's leaf, the ratchet generation
/// of the content key, and the four-byte reuse guard XORed into the content nonce.</summary>
public sealed record SenderData(LeafIndex LeafIndex, uint Generation, byte[] ReuseGuard) : IMlsEncodable
{
    /// <summary>Length of the reuse guard in bytes.</summary>
    public const int ReuseGuardLength = 4;

    public void Encode(TlsWriter writer)
    {
        if (ReuseGuard.Length != ReuseGuardLength)
        {
            throw new InvalidOperationException("The reuse guard is four bytes.");
        }
        writer.WriteUInt32(LeafIndex.Value);
        writer.WriteUInt32(Generation);
        writer.WriteBytes(ReuseGuard);
    }

    public static SenderData Decode(TlsReader reader)
        => new(new LeafIndex(reader.ReadUInt32()), reader.ReadUInt32(), reader.ReadBytes(ReuseGuardLength));

    public bool Equals(SenderData? other)
        => other is not null
           && LeafIndex == other.LeafIndex
           && Generation == other.Generation
           && StructuralEquality.Bytes(ReuseGuard, other.ReuseGuard);

    public override int GetHashCode() => HashCode.Combine(LeafIndex, Generation);
}
