// RFC 9420 §8.4 (pre-shared keys: PreSharedKeyID).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>The kind of pre-shared key.</summary>
public enum PskType : byte
{
    External = 1,
    Resumption = 2,
}

/// <summary>What a resumption PSK is used for.</summary>
public enum ResumptionPskUsage : byte
{
    Application = 1,
    ReInit = 2,
    Branch = 3,
}

/// <summary>Names a pre-shared key: an external key by id, or a resumption secret by group and epoch;
/// <see cref="PskNonce"/> makes each use distinct.</summary>
public sealed record PreSharedKeyId : IMlsEncodable
{
    private PreSharedKeyId(PskType type, byte[]? pskId, ResumptionPskUsage usage, byte[]? pskGroupId, ulong pskEpoch, byte[] pskNonce)
    {
        Type = type;
        PskId = pskId;
        Usage = usage;
        PskGroupId = pskGroupId;
        PskEpoch = pskEpoch;
        PskNonce = pskNonce;
    }

    public PskType Type { get; }

    /// <summary>The external PSK's id; null for resumption.</summary>
    public byte[]? PskId { get; }

    /// <summary>The resumption usage; meaningless for an external PSK.</summary>
    public ResumptionPskUsage Usage { get; }

    /// <summary>The group whose resumption secret is used; null for an external PSK.</summary>
    public byte[]? PskGroupId { get; }

    /// <summary>The epoch whose resumption secret is used; 0 for an external PSK.</summary>
    public ulong PskEpoch { get; }

    public byte[] PskNonce { get; init; }

    /// <summary>An external PSK identified by <paramref name="pskId"/>.</summary>
    public static PreSharedKeyId External(byte[] pskId, byte[] pskNonce) => new(PskType.External, pskId, default, null, 0, pskNonce);

    /// <summary>The resumption secret of <paramref name="groupId"/> at <paramref name="epoch"/>.</summary>
    public static PreSharedKeyId Resumption(ResumptionPskUsage usage, byte[] groupId, ulong epoch, byte[] pskNonce)
        => new(PskType.Resumption, null, usage, groupId, epoch, pskNonce);

    public void Encode(TlsWriter writer)
    {
        writer.WriteUInt8((byte)Type);
        if (Type == PskType.External)
        {
            writer.WriteOpaque(PskId!);
        }
        else
        {
            writer.WriteUInt8((byte)Usage);
            writer.WriteOpaque(PskGroupId!);
            writer.WriteUInt64(PskEpoch);
        }
        writer.WriteOpaque(PskNonce);
    }

    public static PreSharedKeyId Decode(TlsReader reader)
    {
        byte type = reader.ReadUInt8();
        switch ((PskType)type)
        {
            case PskType.External:
                return External(reader.ReadOpaque(), reader.ReadOpaque());
            case PskType.Resumption:
                byte usage = reader.ReadUInt8();
                if (usage is < (byte)ResumptionPskUsage.Application or > (byte)ResumptionPskUsage.Branch)
                {
                    throw new MlsDecodeException($"Unknown resumption PSK usage {usage}.");
                }
                return Resumption((ResumptionPskUsage)usage, reader.ReadOpaque(), reader.ReadUInt64(), reader.ReadOpaque());
            default:
                throw new MlsDecodeException($"Unknown PSK type {type}.");
        }
    }

    public bool Equals(PreSharedKeyId? other)
        => other is not null
           && Type == other.Type
           && StructuralEquality.Bytes(PskId, other.PskId)
           && Usage == other.Usage
           && StructuralEquality.Bytes(PskGroupId, other.PskGroupId)
           && PskEpoch == other.PskEpoch
           && StructuralEquality.Bytes(PskNonce, other.PskNonce);

    public override int GetHashCode() => HashCode.Combine(Type, PskEpoch, PskNonce.Length);
}
