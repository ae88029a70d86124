// RFC 9420 §12.1 (proposals) and §17.4 (proposal types).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>Proposal type code points (RFC 9420 §17.4).</summary>
public static class ProposalType
{
    public const ushort Add = 0x0001;
    public const ushort Update = 0x0002;
    public const ushort Remove = 0x0003;
    public const ushort Psk = 0x0004;
    public const ushort ReInit = 0x0005;
    public const ushort ExternalInit = 0x0006;
    public const ushort GroupContextExtensions = 0x0007;

    /// <summary>Whether the type is one every MLS implementation must understand (no capability needed).</summary>
    public static bool IsDefault(ushort type) => type is >= Add and <= GroupContextExtensions;
}

/// <summary>A proposed change to the group. <see cref="Encode"/> writes the RFC's Proposal
/// (type, then body); <see cref="EncodeBody"/> writes only the body struct (Add, Update, ...).</summary>
public abstract record Proposal : IMlsEncodable
{
    private protected Proposal() { }

    /// <summary>The proposal type (<see cref="ProposalType"/>).</summary>
    public abstract ushort Type { get; }

    /// <summary>Writes the proposal's own struct, without the type.</summary>
    public abstract void EncodeBody(TlsWriter writer);

    public void Encode(TlsWriter writer)
    {
        writer.WriteUInt16(Type);
        EncodeBody(writer);
    }

    /// <summary>Reads a Proposal; types outside RFC 9420's seven are rejected.</summary>
    public static Proposal Decode(TlsReader reader)
    {
        ushort type = reader.ReadUInt16();
        return type switch
        {
            ProposalType.Add => Add.DecodeBody(reader),
            ProposalType.Update => Update.DecodeBody(reader),
            ProposalType.Remove => Remove.DecodeBody(reader),
            ProposalType.Psk => PreSharedKey.DecodeBody(reader),
            ProposalType.ReInit => ReInit.DecodeBody(reader),
            ProposalType.ExternalInit => ExternalInit.DecodeBody(reader),
            ProposalType.GroupContextExtensions => GroupContextExtensions.DecodeBody(reader),
            _ => throw new MlsDecodeException($"Unsupported proposal type {type}."),
        };
    }
}
