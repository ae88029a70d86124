// Parley franking (docs/safety.md, "Franking"; docs/server-protocol.md, "Delivery stamps").
using System.Text;
using Parley.Mls.Codec;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.Franking;

/// <summary>What the server binds to a franked message at delivery: the sender's commitment, who sent it
/// (account and device), which device it was delivered to, in which group, when and under which message id.
/// Sealed by <see cref="FrankingStamper"/>, it lets a recipient later prove to the operator that exactly this
/// commitment reached it from that sender.</summary>
public sealed record FrankingStamp(
    byte[] Commitment,
    AccountId SenderAccount,
    DeviceId SenderDevice,
    DeviceId RecipientDevice,
    GroupId GroupId,
    DateTimeOffset AcceptedAt,
    string MessageId)
{
    /// <summary>The sender of a sealed send's stamp: empty account and device ids, since the server does not know them.</summary>
    public static (AccountId Account, DeviceId Device) Unnamed { get; } = (new AccountId(""), new DeviceId(""));

    /// <summary>Whether the stamp names no sender (a sealed send's).</summary>
    public bool SenderUnnamed => SenderDevice.Value.Length == 0;

    /// <summary><c>opaque c&lt;V&gt; || opaque sender_account_id&lt;V&gt; || opaque sender_device_id&lt;V&gt; ||
    /// opaque recipient_device_id&lt;V&gt; || opaque group_id&lt;V&gt; || uint64 accepted_at_ms || opaque message_id&lt;V&gt;</c>;
    /// ids are ASCII, the group id its raw bytes.</summary>
    public byte[] Encode()
    {
        var w = new TlsWriter(192);
        w.WriteOpaque(Commitment);
        w.WriteOpaque(Encoding.ASCII.GetBytes(SenderAccount.Value));
        w.WriteOpaque(Encoding.ASCII.GetBytes(SenderDevice.Value));
        w.WriteOpaque(Encoding.ASCII.GetBytes(RecipientDevice.Value));
        w.WriteOpaque(System.Buffers.Text.Base64Url.DecodeFromChars(GroupId.Value));
        w.WriteUInt64((ulong)AcceptedAt.ToUnixTimeMilliseconds());
        w.WriteOpaque(Encoding.ASCII.GetBytes(MessageId));
        return w.ToArray();
    }

    /// <summary>Decodes <see cref="Encode"/>'s output; throws <see cref="MlsDecodeException"/> when malformed.</summary>
    public static FrankingStamp Decode(ReadOnlyMemory<byte> data) => TlsReader.Decode(data, r =>
    {
        byte[] commitment = r.ReadOpaque();
        var senderAccount = new AccountId(Encoding.ASCII.GetString(r.ReadOpaque()));
        var senderDevice = new DeviceId(Encoding.ASCII.GetString(r.ReadOpaque()));
        var recipientDevice = new DeviceId(Encoding.ASCII.GetString(r.ReadOpaque()));
        GroupId group = GroupId.FromBytes(r.ReadOpaque());
        ulong acceptedAtMs = r.ReadUInt64();
        string messageId = Encoding.ASCII.GetString(r.ReadOpaque());
        if (acceptedAtMs > (ulong)DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            throw new MlsDecodeException("The stamp's time is out of range.");
        }
        return new FrankingStamp(commitment, senderAccount, senderDevice, recipientDevice, group,
            DateTimeOffset.FromUnixTimeMilliseconds((long)acceptedAtMs), messageId);
    });

    public bool Equals(FrankingStamp? other)
        => other is not null && Commitment.AsSpan().SequenceEqual(other.Commitment) && SenderAccount == other.SenderAccount
           && SenderDevice == other.SenderDevice && RecipientDevice == other.RecipientDevice && GroupId == other.GroupId
           && AcceptedAt == other.AcceptedAt && MessageId == other.MessageId;

    public override int GetHashCode() => HashCode.Combine(SenderDevice, RecipientDevice, MessageId);
}
