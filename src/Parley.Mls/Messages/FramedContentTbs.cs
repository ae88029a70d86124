// RFC 9420 §6.1 (content authentication: FramedContentTBS).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>What a message signature covers: the version, wire format and content, plus the
/// group context when the sender is a member or a new member committing.</summary>
public sealed record FramedContentTbs(WireFormat WireFormat, FramedContent Content, GroupContext? Context) : IMlsEncodable
{
    public void Encode(TlsWriter writer) => Write(writer, WireFormat, Content, Context);

    /// <summary>Writes FramedContentTBS without building the record (the signing hot path).</summary>
    public static void Write(TlsWriter writer, WireFormat wireFormat, FramedContent content, GroupContext? context)
    {
        writer.WriteUInt16(ProtocolVersion.Mls10);
        writer.WriteUInt16((ushort)wireFormat);
        content.Encode(writer);
        if (content.Sender.SignsGroupContext)
        {
            (context ?? throw new ArgumentException($"A {content.Sender.Type} sender signs the group context.", nameof(context)))
                .Encode(writer);
        }
    }

    public static FramedContentTbs Decode(TlsReader reader)
    {
        ushort version = reader.ReadUInt16();
        if (version != ProtocolVersion.Mls10)
        {
            throw new MlsDecodeException($"Unsupported protocol version {version}.");
        }
        var wireFormat = ReadFramingWireFormat(reader);
        var content = FramedContent.Decode(reader);
        var context = content.Sender.SignsGroupContext ? GroupContext.Decode(reader) : null;
        return new FramedContentTbs(wireFormat, content, context);
    }

    /// <summary>Reads a wire format that can carry framed content (public or private message).</summary>
    internal static WireFormat ReadFramingWireFormat(TlsReader reader)
    {
        ushort wireFormat = reader.ReadUInt16();
        return wireFormat is (ushort)WireFormat.MlsPublicMessage or (ushort)WireFormat.MlsPrivateMessage
            ? (WireFormat)wireFormat
            : throw new MlsDecodeException($"Wire format {wireFormat} cannot carry framed content.");
    }
}
