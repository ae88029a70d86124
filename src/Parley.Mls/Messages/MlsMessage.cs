// RFC 9420 §6 (MLSMessage).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>The envelope of everything MLS sends: protocol version mls10, a wire format, and the
/// message of that format (public or private message, Welcome, GroupInfo or KeyPackage).</summary>
public sealed record MlsMessage : IMlsEncodable
{
    private MlsMessage(WireFormat wireFormat, IMlsEncodable body)
    {
        WireFormat = wireFormat;
        Body = body;
    }

    public MlsMessage(PublicMessage message) : this(WireFormat.MlsPublicMessage, Checked(message)) { }

    public MlsMessage(PrivateMessage message) : this(WireFormat.MlsPrivateMessage, Checked(message)) { }

    public MlsMessage(Welcome welcome) : this(WireFormat.MlsWelcome, Checked(welcome)) { }

    public MlsMessage(GroupInfo groupInfo) : this(WireFormat.MlsGroupInfo, Checked(groupInfo)) { }

    public MlsMessage(KeyPackage keyPackage) : this(WireFormat.MlsKeyPackage, Checked(keyPackage)) { }

    public WireFormat WireFormat { get; }

    /// <summary>The carried message; its type matches <see cref="WireFormat"/>.</summary>
    public IMlsEncodable Body { get; }

    public PublicMessage? PublicMessage => Body as PublicMessage;

    public PrivateMessage? PrivateMessage => Body as PrivateMessage;

    public Welcome? Welcome => Body as Welcome;

    public GroupInfo? GroupInfo => Body as GroupInfo;

    public KeyPackage? KeyPackage => Body as KeyPackage;

    public void Encode(TlsWriter writer)
    {
        writer.WriteUInt16(ProtocolVersion.Mls10);
        writer.WriteUInt16((ushort)WireFormat);
        Body.Encode(writer);
    }

    /// <summary>The body's length hint and the four bytes of version and wire format.</summary>
    public int EncodedLengthHint => 4 + Body.EncodedLengthHint;

    /// <summary>Reads an MLSMessage; another protocol version or an unknown wire format is rejected.</summary>
    public static MlsMessage Decode(TlsReader reader)
    {
        ushort version = reader.ReadUInt16();
        if (version != ProtocolVersion.Mls10)
        {
            throw new MlsDecodeException($"Unsupported protocol version {version}.");
        }
        ushort wireFormat = reader.ReadUInt16();
        return (WireFormat)wireFormat switch
        {
            WireFormat.MlsPublicMessage => new MlsMessage(PublicMessage.Decode(reader)),
            WireFormat.MlsPrivateMessage => new MlsMessage(PrivateMessage.Decode(reader)),
            WireFormat.MlsWelcome => new MlsMessage(Welcome.Decode(reader)),
            WireFormat.MlsGroupInfo => new MlsMessage(GroupInfo.Decode(reader)),
            WireFormat.MlsKeyPackage => new MlsMessage(KeyPackage.Decode(reader)),
            _ => throw new MlsDecodeException($"Unknown wire format {wireFormat}."),
        };
    }

    /// <summary>Decodes exactly one MLSMessage from <paramref name="data"/>; trailing bytes are an error.</summary>
    public static MlsMessage Decode(ReadOnlyMemory<byte> data) => TlsReader.Decode(data, Decode);

    private static T Checked<T>(T value) where T : class
    {
        ArgumentNullException.ThrowIfNull(value);
        return value;
    }
}
