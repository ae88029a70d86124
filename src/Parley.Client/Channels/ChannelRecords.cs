// What a device keeps about channels in its encrypted store (docs/channels.md, "Client"): per private channel
// its view key, how far it has counted views and, for a subscriber, its anonymous queue's credential; per pending
// join the pseudonymous keys that will open the Welcome and the queue it arrives in; per public channel the
// owner's pinned identity key and whether this device subscribed. Each record is one sealed cell of the
// channel_records table, a version octet then fields in the TLS presentation language (RFC 9420 §2.1).
using System.Security.Cryptography;
using Parley.Client.Conversations;
using Parley.Client.Storage;
using Parley.Content;
using Parley.Mls.Codec;

namespace Parley.Client.Channels;

/// <summary>A private channel this device is in.</summary>
/// <param name="Conversation">The conversation (MLS group) of the channel.</param>
/// <param name="Name">The channel's name when this device joined or created it.</param>
/// <param name="Pseudonymous">This device is a subscriber with a pseudonymous leaf (not an admin).</param>
/// <param name="ViewKey">The device's secret per-channel view key (32 bytes).</param>
/// <param name="ViewedThrough">The local message sequence up to which views were counted.</param>
/// <param name="HistoryLimit">On an admin's device: how many recent posts it shares with each subscriber it adds (0: none).</param>
/// <param name="AnnouncedRequests">On an admin's device: the pending join requests it has already told its person about.</param>
/// <param name="QueueToken">On a subscriber's device: the secret of the anonymous queue its pseudonymous leaf receives through and
/// sends from (docs/channels.md, "Subscriber queues"); null for admins, and for subscribers who joined before queues existed.</param>
/// <param name="QueueMoving">The leaf is being handed from this device to the queue (a subscriber from before queues): until the
/// server confirmed it, the device still acts for the leaf.</param>
public sealed record PrivateChannelRecord(ConversationId Conversation, string Name, bool Pseudonymous, byte[] ViewKey, long ViewedThrough,
    int HistoryLimit = PrivateChannelRecord.DefaultHistoryLimit, IReadOnlyList<string>? AnnouncedRequests = null, byte[]? QueueToken = null,
    bool QueueMoving = false)
{
    /// <summary>The queue's token when the leaf acts through it, else null (the device acts itself).</summary>
    public byte[]? ActiveQueueToken => QueueMoving ? null : QueueToken;

    /// <summary>How many recent posts a new subscriber gets unless the admin chose otherwise.</summary>
    public const int DefaultHistoryLimit = 20;

    /// <summary>The most recent posts an admin may share with a new subscriber.</summary>
    public const int MaxHistoryLimit = 200;

    public override string ToString() => $"PrivateChannelRecord({Name})";
}

/// <summary>A join request this device sent, with the pseudonymous keys of its key package. Dispose wipes them.</summary>
/// <param name="Id">The local id of the request.</param>
/// <param name="Server">The server the invite is on.</param>
/// <param name="RequestId">The server's request id, once it answered.</param>
/// <param name="Status">pending, approved, denied (as last seen).</param>
/// <param name="KeyPackageRef">The KeyPackageRef the Welcome will name.</param>
/// <param name="KeyPackage">The key package (MLSMessage).</param>
/// <param name="InitPrivateKey">Its HPKE init private key.</param>
/// <param name="EncryptionPrivateKey">Its leaf HPKE private key.</param>
/// <param name="SignaturePrivateKey">The fresh per-channel signature private key.</param>
/// <param name="RequestedAt">When it was sent.</param>
/// <param name="QueueToken">The secret of the anonymous queue the request was sent from and the Welcome arrives in (null for a
/// request made before queues existed).</param>
public sealed record PendingChannelJoin(string Id, Uri Server, string? RequestId, string Status, byte[] KeyPackageRef, byte[] KeyPackage,
    byte[] InitPrivateKey, byte[] EncryptionPrivateKey, byte[] SignaturePrivateKey, DateTimeOffset RequestedAt, byte[]? QueueToken = null) : IDisposable
{
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(InitPrivateKey);
        CryptographicOperations.ZeroMemory(EncryptionPrivateKey);
        CryptographicOperations.ZeroMemory(SignaturePrivateKey);
    }

    public override string ToString() => $"PendingChannelJoin({RequestId ?? Id}, {Status})";
}

/// <summary>A public channel this device has read, created or subscribed to, with its owner's identity key pinned
/// on first read (trust on first use).</summary>
/// <param name="Server">The server the channel is on.</param>
/// <param name="Name">The channel's name.</param>
/// <param name="Owner">The owner's user name.</param>
/// <param name="OwnerIdentityKey">The owner's account identity key as first seen.</param>
/// <param name="Subscribed">This account asked to be counted as a subscriber.</param>
/// <param name="ViewedThrough">The post sequence up to which this device counted views.</param>
/// <param name="PinnedAt">When the owner's key was pinned.</param>
public sealed record PublicChannelRecord(Uri Server, string Name, string Owner, byte[] OwnerIdentityKey, bool Subscribed, long ViewedThrough,
    DateTimeOffset PinnedAt)
{
    public override string ToString() => $"PublicChannelRecord({Name} on {Server})";
}

/// <summary>Encodes and decodes channel records; the key names a record in the store's blind index.</summary>
internal static class ChannelRecordCodec
{
    private const byte V1 = 1;
    // Version 2: a private channel record ends with its history limit and the join requests already announced.
    private const byte V2 = 2;
    // Version 3: private channel and join records end with the subscriber queue's state (0 none, 1 in use, 2 being moved to)
    // and then, unless none, its token.
    private const byte V3 = 3;
    private const byte PrivateKind = 1;
    private const byte JoinKind = 2;
    private const byte PublicKind = 3;

    public static string KeyOf(PrivateChannelRecord r) => "private/" + r.Conversation;

    public static string KeyOf(PendingChannelJoin j) => "join/" + j.Id;

    public static string KeyOf(PublicChannelRecord p) => PublicKey(p.Server, p.Name);

    public static string PublicKey(Uri server, string name)
        => "public/" + server.GetLeftPart(UriPartial.Authority).ToLowerInvariant() + server.AbsolutePath.TrimEnd('/') + "/" + name.ToLowerInvariant();

    public static byte[] Encode(object record)
    {
        var w = new TlsWriter(256);
        w.WriteUInt8(record is PublicChannelRecord ? V1 : V3);
        switch (record)
        {
            case PrivateChannelRecord p:
                w.WriteUInt8(PrivateKind);
                w.WriteOpaque(p.Conversation.ToBytes());
                w.WriteString(p.Name);
                w.WriteBool(p.Pseudonymous);
                w.WriteOpaque(p.ViewKey);
                w.WriteUInt64((ulong)p.ViewedThrough);
                w.WriteUInt32(checked((uint)p.HistoryLimit));
                w.WriteVector(p.AnnouncedRequests ?? [], (inner, id) => inner.WriteString(id));
                WriteQueueToken(w, p.QueueToken, p.QueueMoving);
                break;
            case PendingChannelJoin j:
                w.WriteUInt8(JoinKind);
                w.WriteString(j.Id);
                w.WriteString(j.Server.OriginalString);
                w.WriteBool(j.RequestId is not null);
                if (j.RequestId is not null)
                {
                    w.WriteString(j.RequestId);
                }
                w.WriteString(j.Status);
                w.WriteOpaque(j.KeyPackageRef);
                w.WriteOpaque(j.KeyPackage);
                w.WriteOpaque(j.InitPrivateKey);
                w.WriteOpaque(j.EncryptionPrivateKey);
                w.WriteOpaque(j.SignaturePrivateKey);
                w.WriteTime(j.RequestedAt);
                WriteQueueToken(w, j.QueueToken, moving: false);
                break;
            case PublicChannelRecord c:
                w.WriteUInt8(PublicKind);
                w.WriteString(c.Server.OriginalString);
                w.WriteString(c.Name);
                w.WriteString(c.Owner);
                w.WriteOpaque(c.OwnerIdentityKey);
                w.WriteBool(c.Subscribed);
                w.WriteUInt64((ulong)c.ViewedThrough);
                w.WriteTime(c.PinnedAt);
                break;
            default:
                throw new ArgumentException($"{record.GetType().Name} is not a channel record.", nameof(record));
        }
        byte[] result = w.ToArray();
        w.Clear();
        return result;
    }

    public static object Decode(byte[] data) => TlsReader.Decode(data, r =>
    {
        byte version = r.ReadUInt8();
        if (version is not (V1 or V2 or V3))
        {
            throw new Storage.StoreFormatException($"A channel record has version {version}; this Parley reads versions {V1} to {V3}. Update Parley.");
        }
        byte kind = r.ReadUInt8();
        return kind switch
        {
            PrivateKind when version == V1 => new PrivateChannelRecord(r.ReadConversationId(), r.ReadString(), r.ReadBool(), r.ReadOpaque(),
                (long)r.ReadUInt64()),
            PrivateKind => new PrivateChannelRecord(r.ReadConversationId(), r.ReadString(), r.ReadBool(), r.ReadOpaque(),
                (long)r.ReadUInt64(), ReadHistoryLimit(r), r.ReadList(inner => inner.ReadString())) is var record && version >= V3
                ? ReadQueue(r, record)
                : record,
            JoinKind => (object)new PendingChannelJoin(r.ReadString(), r.ReadAbsoluteUri(), r.ReadBool() ? r.ReadString() : null,
                r.ReadString(), r.ReadOpaque(), r.ReadOpaque(), r.ReadOpaque(), r.ReadOpaque(), r.ReadOpaque(), r.ReadTime(),
                version >= V3 ? ReadQueueToken(r).Token : null),
            PublicKind => new PublicChannelRecord(r.ReadAbsoluteUri(), r.ReadString(), r.ReadString(), r.ReadOpaque(), r.ReadBool(),
                (long)r.ReadUInt64(), r.ReadTime()),
            _ => throw new Storage.StoreFormatException($"A channel record has kind {kind}, which this Parley does not know. Update Parley."),
        };
    });

    private static void WriteQueueToken(TlsWriter w, byte[]? token, bool moving)
    {
        w.WriteUInt8(token is null ? (byte)0 : moving ? (byte)2 : (byte)1);
        if (token is not null)
        {
            w.WriteOpaque(token);
        }
    }

    private static (byte[]? Token, bool Moving) ReadQueueToken(TlsReader r) => r.ReadUInt8() switch
    {
        0 => (null, false),
        1 => (r.ReadOpaque(), false),
        2 => (r.ReadOpaque(), true),
        var state => throw new MlsDecodeException($"A channel record's queue state {state} is unknown."),
    };

    private static PrivateChannelRecord ReadQueue(TlsReader r, PrivateChannelRecord record)
    {
        var (token, moving) = ReadQueueToken(r);
        return record with { QueueToken = token, QueueMoving = moving };
    }

    private static int ReadHistoryLimit(TlsReader r)
    {
        uint limit = r.ReadUInt32();
        return limit <= PrivateChannelRecord.MaxHistoryLimit ? (int)limit : throw new MlsDecodeException("A channel's history limit is out of range.");
    }
}
