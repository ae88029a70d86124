// The plaintext layouts of the store's encrypted cells (each starts with a version octet, then fields in
// the TLS presentation language of RFC 9420 §2.1). See docs/client-envelope.md, "Local store".
using Parley.Content;
using System.Security.Cryptography;
using Parley.Client.Attachments;
using Parley.Client.Conversations;
using Parley.Client.Identity;
using Parley.Client.Messages;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;

namespace Parley.Client.Storage;

/// <summary>The message cell: who sent what and when; the envelope is null once deleted for everyone.</summary>
internal sealed record MessageRecord(string MessageId, string SenderDeviceId, string? SenderUsername, bool IsOutgoing,
    DateTimeOffset SentAt, DateTimeOffset ReceivedAt, DateTimeOffset? ExpiresAt, byte[]? Envelope);

/// <summary>Encodes and decodes the store's records.</summary>
internal static class StoredRecords
{
    private const byte V1 = 1;

    // ---- identity -----------------------------------------------------------------------------

    public static byte[] EncodeIdentity(DeviceIdentity identity, string? credentialToken, byte[]? deviceCertificate)
    {
        var w = new TlsWriter(512);
        w.WriteUInt8(V1);
        w.WriteString(identity.AccountName);
        w.WriteString(identity.ServerUrl.OriginalString);
        w.WriteUInt16(identity.CipherSuite);
        w.WriteOpaque(identity.SignatureKey.PrivateKey);
        w.WriteOpaque(identity.SignatureKey.PublicKey);
        w.WriteOpaque(identity.AccountIdentityPublicKey);
        byte[]? accountPrivate = identity.AccountKey?.ExportPrivateKey();
        try
        {
            w.WriteOptionalBytes(accountPrivate);
        }
        finally
        {
            if (accountPrivate is not null)
            {
                CryptographicOperations.ZeroMemory(accountPrivate);
            }
        }
        w.WriteOptionalString(credentialToken);
        w.WriteOptionalBytes(deviceCertificate);
        w.WriteTime(identity.CreatedAt);
        return Secret(w);
    }

    public static DeviceIdentity DecodeIdentity(byte[] data) => TlsReader.Decode(data, r =>
    {
        r.ReadRecordVersion(V1, "device identity");
        string account = r.ReadString();
        var server = r.ReadAbsoluteUri();
        ushort suite = r.ReadUInt16();
        var signature = new SignatureKeyPair(r.ReadOpaque(), r.ReadOpaque());
        byte[] accountPublic = r.ReadOpaque();
        byte[]? accountPrivate = r.ReadOptionalBytes();
        AccountIdentityKey? accountKey = null;
        if (accountPrivate is { Length: not AccountIdentityKey.PrivateKeySize })
        {
            throw new MlsDecodeException("The stored account identity key has the wrong length.");
        }
        if (accountPrivate is not null)
        {
            accountKey = AccountIdentityKey.Import(accountPrivate);
            CryptographicOperations.ZeroMemory(accountPrivate);
        }
        string? token = r.ReadOptionalString();
        byte[]? certificate = r.ReadOptionalBytes();
        var created = r.ReadTime();
        return new DeviceIdentity(account, server, suite, signature, accountPublic, accountKey, token, certificate, created);
    });

    // ---- conversations ------------------------------------------------------------------------

    public static byte[] EncodeConversation(Conversation c)
    {
        var w = new TlsWriter(256);
        w.WriteUInt8(V1);
        w.WriteUInt8((byte)c.Kind);
        w.WriteString(c.DisplayName);
        w.WriteOpaque(c.GroupId);
        w.WriteUInt32(c.DisappearingTimer is { } t ? checked((uint)t.TotalSeconds) : 0);
        w.WriteVector(c.Members, (x, m) =>
        {
            x.WriteString(m.Username);
            x.WriteStrings(m.DeviceIds);
        });
        w.WriteTime(c.CreatedAt);
        w.WriteTime(c.LastActivityAt);
        w.WriteUInt32(checked((uint)c.UnreadCount));
        return w.ToArray();
    }

    public static Conversation DecodeConversation(ConversationId id, byte[] data) => TlsReader.Decode(data, r =>
    {
        r.ReadRecordVersion(V1, "conversation");
        var kind = (ConversationKind)r.ReadUInt8();
        string name = r.ReadString();
        byte[] groupId = r.ReadOpaque();
        uint timer = r.ReadUInt32();
        var members = r.ReadList(x => new ConversationMember(x.ReadString(), x.ReadStrings()));
        var created = r.ReadTime();
        var last = r.ReadTime();
        int unread = r.ReadCount();
        return new Conversation(id, kind, name, groupId, timer == 0 ? null : TimeSpan.FromSeconds(timer), members, created, last, unread);
    });

    // ---- messages -----------------------------------------------------------------------------

    public static byte[] EncodeMessage(MessageRecord m)
    {
        var w = new TlsWriter(128 + (m.Envelope?.Length ?? 0));
        w.WriteUInt8(V1);
        w.WriteString(m.MessageId);
        w.WriteString(m.SenderDeviceId);
        w.WriteOptionalString(m.SenderUsername);
        w.WriteBool(m.IsOutgoing);
        w.WriteTime(m.SentAt);
        w.WriteTime(m.ReceivedAt);
        w.WriteOptionalTime(m.ExpiresAt);
        w.WriteOptionalBytes(m.Envelope);
        return w.ToArray();
    }

    public static MessageRecord DecodeMessage(byte[] data) => TlsReader.Decode(data, r =>
    {
        r.ReadRecordVersion(V1, "message");
        return new MessageRecord(r.ReadString(), r.ReadString(), r.ReadOptionalString(), r.ReadBool(), r.ReadTime(), r.ReadTime(),
            r.ReadOptionalTime(), r.ReadOptionalBytes());
    });

    public static byte[] EncodeState(MessageState s)
    {
        var w = new TlsWriter(32);
        w.WriteUInt8(V1);
        w.WriteUInt8((byte)s.Status);
        w.WriteBool(s.Read);
        w.WriteOptionalString(s.EditedText);
        w.WriteOptionalTime(s.EditedAt);
        w.WriteBool(s.Deleted);
        w.WriteVector(s.Reactions, (x, reaction) =>
        {
            x.WriteString(reaction.Reactor);
            x.WriteString(reaction.Emoji);
            x.WriteTime(reaction.At);
        });
        w.WriteVector(s.Receipts, (x, receipt) =>
        {
            x.WriteString(receipt.Recipient);
            x.WriteOptionalTime(receipt.DeliveredAt);
            x.WriteOptionalTime(receipt.ReadAt);
        });
        return w.ToArray();
    }

    public static MessageState DecodeState(byte[] data) => TlsReader.Decode(data, r =>
    {
        r.ReadRecordVersion(V1, "message state");
        var status = (DeliveryStatus)r.ReadUInt8();
        bool read = r.ReadBool();
        string? edited = r.ReadOptionalString();
        var editedAt = r.ReadOptionalTime();
        bool deleted = r.ReadBool();
        var reactions = r.ReadList(x => new MessageReaction(x.ReadString(), x.ReadString(), x.ReadTime()));
        var receipts = r.ReadList(x => new MessageReceipt(x.ReadString(), x.ReadOptionalTime(), x.ReadOptionalTime()));
        return new MessageState(status, read, edited, editedAt, deleted, reactions, receipts);
    });

    // ---- contacts -----------------------------------------------------------------------------

    public static byte[] EncodeContact(Contact c)
    {
        var w = new TlsWriter(128);
        w.WriteUInt8(V1);
        w.WriteString(c.Username);
        w.WriteOpaque(c.IdentityKey);
        w.WriteBool(c.Verified);
        w.WriteBool(c.IdentityChanged);
        w.WriteOptionalBytes(c.PendingIdentityKey);
        w.WriteTime(c.FirstSeenAt);
        w.WriteOptionalTime(c.ChangedAt);
        return w.ToArray();
    }

    public static Contact DecodeContact(byte[] data) => TlsReader.Decode(data, r =>
    {
        r.ReadRecordVersion(V1, "contact");
        return new Contact(r.ReadString(), r.ReadOpaque(), r.ReadBool(), r.ReadBool(), r.ReadOptionalBytes(), r.ReadTime(), r.ReadOptionalTime());
    });

    // ---- key packages -------------------------------------------------------------------------

    public static byte[] EncodeKeyPackage(StoredKeyPackage k)
    {
        var w = new TlsWriter(1024);
        w.WriteUInt8(V1);
        w.WriteOpaque(k.Ref);
        w.WriteOpaque(k.Message);
        w.WriteOpaque(k.InitPrivateKey);
        w.WriteOpaque(k.EncryptionPrivateKey);
        w.WriteBool(k.LastResort);
        w.WriteTime(k.CreatedAt);
        return Secret(w);
    }

    public static StoredKeyPackage DecodeKeyPackage(byte[] data) => TlsReader.Decode(data, r =>
    {
        r.ReadRecordVersion(V1, "key package");
        return new StoredKeyPackage(r.ReadOpaque(), r.ReadOpaque(), r.ReadOpaque(), r.ReadOpaque(), r.ReadBool(), r.ReadTime());
    });

    // ---- outbox -------------------------------------------------------------------------------

    public static byte[] EncodeOutbox(OutboxItem o)
    {
        var w = new TlsWriter(256 + o.Message.Length + (o.Welcome?.Length ?? 0));
        w.WriteUInt8(V1);
        w.WriteString(o.DeliveryId);
        w.WriteUInt8((byte)o.Kind);
        w.WriteOpaque(o.Message);
        w.WriteOptionalBytes(o.Welcome);
        w.WriteBool(o.LocalMessage is not null);
        if (o.LocalMessage is { } local)
        {
            w.WriteUInt64((ulong)local.Value);
        }
        w.WriteVector(o.AddedMembers, (x, m) =>
        {
            x.WriteString(m.Username);
            x.WriteStrings(m.DeviceIds);
        });
        // Appended later: records written before it end here and read as "no GroupInfo".
        w.WriteOptionalBytes(o.GroupInfo);
        return w.ToArray();
    }

    public static OutboxItem DecodeOutbox(OutboxId id, ConversationId conversation, byte[] data) => TlsReader.Decode(data, r =>
    {
        r.ReadRecordVersion(V1, "outbox");
        string deliveryId = r.ReadString();
        var kind = (OutboxKind)r.ReadUInt8();
        byte[] message = r.ReadOpaque();
        byte[]? welcome = r.ReadOptionalBytes();
        LocalMessageId? local = r.ReadBool() ? new LocalMessageId((long)r.ReadUInt64()) : null;
        var members = r.ReadList(x => new ConversationMember(x.ReadString(), x.ReadStrings()));
        byte[]? groupInfo = r.AtEnd ? null : r.ReadOptionalBytes();
        return new OutboxItem(id, conversation, deliveryId, kind, message, welcome, local, members) { GroupInfo = groupInfo };
    });

    // ---- attachments --------------------------------------------------------------------------

    public static byte[] EncodeAttachment(StoredAttachment a)
    {
        var w = new TlsWriter(256);
        w.WriteUInt8(V1);
        var reference = a.Reference;
        w.WriteString(reference.BlobId);
        w.WriteUInt64((ulong)reference.Size);
        w.WriteString(reference.ContentType);
        w.WriteString(reference.FileName);
        w.WriteUInt32((uint)reference.ChunkSize);
        w.WriteOpaque(reference.Key);
        w.WriteOpaque(reference.Digest);
        w.WriteOptionalString(a.LocalPath);
        w.WriteOptionalTime(a.ExpiresAt);
        // Appended later: records written before it end here and read as "no plaintext digest".
        w.WriteOptionalBytes(reference.PlaintextDigest);
        w.WriteOptionalString(a.Source);
        // Appended later still: records written before it are of unpadded files.
        w.WriteUInt8(reference.Scheme);
        return Secret(w);
    }

    public static StoredAttachment DecodeAttachment(AttachmentId id, LocalMessageId? message, byte[] data) => TlsReader.Decode(data, r =>
    {
        r.ReadRecordVersion(V1, "attachment");
        var reference = new AttachmentReference(r.ReadString(), (long)r.ReadUInt64(), r.ReadString(), r.ReadString(), (int)r.ReadUInt32(),
            r.ReadOpaque(), r.ReadOpaque());
        string? localPath = r.ReadOptionalString();
        DateTimeOffset? expiresAt = r.ReadOptionalTime();
        if (!r.AtEnd)
        {
            reference = reference with { PlaintextDigest = r.ReadOptionalBytes() };
        }
        string? source = r.AtEnd ? null : r.ReadOptionalString();
        if (!r.AtEnd)
        {
            reference = reference with { Scheme = r.ReadUInt8() };
        }
        if (!reference.IsWellFormed)
        {
            throw new MlsDecodeException("The stored attachment reference has an invalid size, chunk size, key or digest.");
        }
        return new StoredAttachment(id, message, reference, localPath, expiresAt, source);
    });

    // The writer's buffer held secrets: copy them out and wipe it.
    private static byte[] Secret(TlsWriter w)
    {
        byte[] result = w.ToArray();
        w.Clear();
        return result;
    }
}
