// What a backup holds and how it is copied out of a store and read back (docs/backup.md, "Contents"). MLS group
// state is never copied: restoring an old epoch would fork the group and reuse its keys, so a restored device
// rejoins every conversation instead.
using System.Security.Cryptography;
using Parley.Client.Channels;
using Parley.Client.Conversations;
using Parley.Client.Identity;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Content;
using Parley.Mls;
using Parley.Mls.Codec;

namespace Parley.Client.Backup;

/// <summary>How far a backup or restore got.</summary>
/// <param name="Messages">Messages done so far.</param>
/// <param name="TotalMessages">Messages in all.</param>
public sealed record BackupProgress(long Messages, long TotalMessages);

/// <summary>One item read from a backup, as a restore applies it.</summary>
internal abstract record BackupItem
{
    public sealed record ContactItem(Contact Contact) : BackupItem;

    public sealed record BlockItem(string Username) : BackupItem;

    public sealed record ConversationItem(Conversation Conversation) : BackupItem;

    public sealed record MessageItem(ConversationId Conversation, MessageRecord Record, MessageState State) : BackupItem;

    public sealed record ChannelItem(object Record) : BackupItem;
}

/// <summary>Writes a store's contents as backup records, and reads them back with every record checked.</summary>
internal static class BackupContents
{
    private const int ProgressStep = 1000;

    /// <summary>Copies what a backup holds from <paramref name="store"/> into <paramref name="plaintext"/>. A device link's
    /// history bundle (<paramref name="linkHistory"/>) is the same without the account key record: the key travels in
    /// the approval itself (docs/device-linking.md).</summary>
    public static BackupManifest Write(ClientStore store, Stream plaintext, IProgress<BackupProgress>? progress, CancellationToken cancellationToken,
        bool linkHistory = false)
    {
        var identity = store.Identity ?? throw new ParleyClientException(ClientError.NoAccount, null, "This Parley home has no account yet.");
        var accountKey = identity.AccountKey
            ?? throw new ParleyClientException(linkHistory
                ? "This device does not hold the account key, so it cannot approve devices."
                : "This device does not hold the account key, so its backup could not make a new device; back up from the account's first device.");
        var records = new BackupRecordWriter(plaintext);
        long total = store.CountMessages();
        var manifest = new BackupManifest(identity.ServerUrl, identity.AccountName, identity.AccountIdentityPublicKey, identity.DeviceId,
            store.Time.GetUtcNow(), total);
        records.Write(BackupRecordKind.Manifest, manifest.Encode());
        if (!linkHistory)
        {
            byte[] seed = accountKey.ExportPrivateKey();
            try
            {
                records.Write(BackupRecordKind.AccountKey, seed);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(seed);
            }
        }
        foreach (var contact in store.Contacts)
        {
            records.Write(BackupRecordKind.Contact, StoredRecords.EncodeContact(contact));
        }
        foreach (string name in store.BlockedUsernames)
        {
            records.Write(BackupRecordKind.Block, TlsWriter.Encode(w => w.WriteString(name)));
        }
        foreach (var conversation in store.Conversations)
        {
            records.Write(BackupRecordKind.Conversation, TlsWriter.Encode(w =>
            {
                w.WriteOpaque(conversation.Id.ToBytes());
                w.WriteOpaque(StoredRecords.EncodeConversation(conversation));
            }));
        }
        foreach (object record in store.GetChannelRecords())
        {
            // A pending join holds the keys of a key package sent to an admin: device secrets, not the account's.
            if (record is PendingChannelJoin join)
            {
                join.Dispose();
                continue;
            }
            records.Write(BackupRecordKind.Channel, ChannelRecordCodec.Encode(Portable(record)));
        }
        long done = 0;
        var writer = new TlsWriter(1024);
        foreach (var (conversation, record, state) in store.ReadMessageRecords())
        {
            writer.Clear();
            writer.WriteOpaque(conversation.ToBytes());
            writer.WriteOpaque(StoredRecords.EncodeMessage(record));
            writer.WriteOpaque(StoredRecords.EncodeState(state));
            records.Write(BackupRecordKind.Message, writer.WrittenSpan);
            if (++done % ProgressStep == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(new BackupProgress(done, Math.Max(done, total)));
            }
        }
        writer.Clear();
        progress?.Report(new BackupProgress(done, done));
        return manifest with { Messages = done };
    }

    // A private channel's anonymous queue belongs to the device's leaf, which a restored device does not have.
    private static object Portable(object record)
        => record is PrivateChannelRecord p ? p with { QueueToken = null, QueueMoving = false } : record;

    /// <summary>Reads every record of a backup's plaintext, checking each, and hands the items to
    /// <paramref name="apply"/>. Returns the manifest and the account key (the caller wipes it; empty for a device
    /// link's history bundle, <paramref name="linkHistory"/>, which must hold none). Throws
    /// <see cref="BackupFormatException"/> for contents that do not decode.</summary>
    public static (BackupManifest Manifest, byte[] AccountKey) Read(Stream plaintext, Action<BackupItem> apply, IProgress<BackupProgress>? progress = null,
        CancellationToken cancellationToken = default, bool linkHistory = false)
    {
        var records = new BackupRecordReader(plaintext);
        BackupManifest? manifest = null;
        byte[]? accountKey = null;
        var conversations = new HashSet<ConversationId>();
        long messages = 0;
        try
        {
            while (records.Next() is var (kind, body))
            {
                if (manifest is null && kind != BackupRecordKind.Manifest)
                {
                    throw new BackupFormatException("The backup's contents do not start with its manifest.");
                }
                switch (kind)
                {
                    case BackupRecordKind.Manifest when manifest is null:
                        manifest = BackupManifest.Decode(body);
                        break;
                    case BackupRecordKind.AccountKey when linkHistory:
                        CryptographicOperations.ZeroMemory(body);
                        throw new BackupFormatException("The history bundle holds an account key, which no history bundle carries.");
                    case BackupRecordKind.AccountKey when accountKey is null && body.Length == AccountIdentityKey.PrivateKeySize:
                        accountKey = body;
                        break;
                    case BackupRecordKind.Contact:
                        apply(new BackupItem.ContactItem(StoredRecords.DecodeContact(body)));
                        break;
                    case BackupRecordKind.Block:
                        apply(new BackupItem.BlockItem(CheckUsername(TlsReader.Decode(body, r => r.ReadString()))));
                        break;
                    case BackupRecordKind.Conversation:
                        var conversation = TlsReader.Decode(body, r => StoredRecords.DecodeConversation(r.ReadConversationId(), r.ReadOpaque()));
                        if (!conversations.Add(conversation.Id))
                        {
                            throw new BackupFormatException("The backup holds a conversation twice.");
                        }
                        apply(new BackupItem.ConversationItem(conversation));
                        break;
                    case BackupRecordKind.Channel:
                        apply(new BackupItem.ChannelItem(ReadChannel(body, conversations)));
                        break;
                    case BackupRecordKind.Message:
                        var message = TlsReader.Decode(body, r => new BackupItem.MessageItem(r.ReadConversationId(),
                            StoredRecords.DecodeMessage(r.ReadOpaque()), StoredRecords.DecodeState(r.ReadOpaque())));
                        if (!conversations.Contains(message.Conversation))
                        {
                            throw new BackupFormatException("The backup holds a message of a conversation it does not hold.");
                        }
                        apply(message);
                        if (++messages % ProgressStep == 0)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            progress?.Report(new BackupProgress(messages, Math.Max(messages, manifest!.Messages)));
                        }
                        break;
                    case BackupRecordKind.AttachmentFile:
                        // Reserved for files (--with-files); this version writes none.
                        throw new BackupFormatException("The backup holds files, which this Parley does not restore yet.");
                    default:
                        throw new BackupFormatException($"The backup holds a misplaced or malformed {kind} record.");
                }
            }
            if (manifest is null || (accountKey is null && !linkHistory))
            {
                throw new BackupFormatException("The backup holds no account.");
            }
            progress?.Report(new BackupProgress(messages, messages));
            return (manifest, accountKey ?? []);
        }
        catch (Exception e) when (e is MlsDecodeException or StoreFormatException or OverflowException)
        {
            if (accountKey is not null)
            {
                CryptographicOperations.ZeroMemory(accountKey);
            }
            throw new BackupFormatException("The backup's contents are damaged: " + e.Message, e);
        }
        catch
        {
            if (accountKey is not null)
            {
                CryptographicOperations.ZeroMemory(accountKey);
            }
            throw;
        }
    }

    /// <summary>As <see cref="Read(Stream, Action{BackupItem}, IProgress{BackupProgress}?, CancellationToken, bool)"/>, over the
    /// backup file at <paramref name="path"/> opened with <paramref name="secret"/>.</summary>
    public static (BackupManifest Manifest, byte[] AccountKey) ReadFile(string path, BackupSecret secret, Action<BackupItem> apply,
        IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(secret);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var reader = BackupReader.Open(file, secret);
        return Read(reader, apply, progress, cancellationToken, linkHistory: secret.Kind == BackupKeyKind.LinkKey);
    }

    private static object ReadChannel(byte[] body, HashSet<ConversationId> conversations)
    {
        object record = ChannelRecordCodec.Decode(body);
        if (record is PendingChannelJoin join)
        {
            join.Dispose();
            throw new BackupFormatException("The backup holds a pending channel join, which no backup carries.");
        }
        if (record is PrivateChannelRecord p && !conversations.Contains(p.Conversation))
        {
            throw new BackupFormatException("The backup holds a private channel of a conversation it does not hold.");
        }
        return record;
    }

    private static string CheckUsername(string name)
        => UsernameProfile.TryCanonicalize(name, out string? canonical) && canonical == name
            ? name
            : throw new BackupFormatException("The backup holds a blocked name that is not a user name.");
}
