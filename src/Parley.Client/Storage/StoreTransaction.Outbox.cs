// What else a transaction writes beside conversations and messages: the processed deliveries, the outbox,
// key packages, contacts and attachments (docs/client-envelope.md, "Local store").
using Parley.Client.Attachments;
using Parley.Client.Conversations;
using Parley.Client.Identity;
using Parley.Client.Messages;
using Parley.Content;

namespace Parley.Client.Storage;

public sealed partial class StoreTransaction
{
    // ---- Deliveries ---------------------------------------------------------------------------

    /// <summary>Records that a delivery (the server's message id) was processed; false if it already was.
    /// Commit it in the same transaction as the delivery's effects, and acknowledge it to the server after.</summary>
    public bool MarkDeliveryProcessed(string deliveryId)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryId);
        return Execute("INSERT INTO deliveries (ref_index) VALUES ($r) ON CONFLICT (ref_index) DO NOTHING;",
            ("$r", Cipher.BlindIndex("delivery", deliveryId))) == 1;
    }

    /// <summary>True when the delivery was processed (committed, or earlier in this transaction).</summary>
    public bool IsDeliveryProcessed(string deliveryId) => _store.IsDeliveryProcessed(_connection, _transaction, deliveryId);

    /// <summary>Forgets all but the newest <paramref name="keep"/> processed delivery ids (the server redelivers only
    /// what was not acknowledged, so old ids are not needed).</summary>
    public int PruneDeliveries(int keep)
        => Execute("DELETE FROM deliveries WHERE seq <= (SELECT coalesce(max(seq), 0) FROM deliveries) - $k;", ("$k", keep));

    // ---- Outbox -------------------------------------------------------------------------------

    /// <summary>Queues an MLS message for sending; commit it with the group state that produced it.</summary>
    public OutboxItem AddToOutbox(ConversationId conversation, string deliveryId, OutboxKind kind, byte[] message, byte[]? welcome = null,
        LocalMessageId? localMessage = null, IReadOnlyList<ConversationMember>? addedMembers = null, byte[]? groupInfo = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryId);
        ArgumentNullException.ThrowIfNull(message);
        long seq = _store.NextOutboxSeq();
        var item = new OutboxItem(new OutboxId(seq), conversation, deliveryId, kind, message, welcome, localMessage, addedMembers ?? [])
        {
            GroupInfo = groupInfo,
        };
        Execute("INSERT INTO outbox (seq, conversation, record) VALUES ($s, $c, $r);", ("$s", seq), ("$c", conversation.ToBytes()),
            ("$r", Cipher.Seal(StoreSchema.Outbox, "record", RowId.Of(seq, conversation), StoredRecords.EncodeOutbox(item))));
        return item;
    }

    /// <summary>The outbox entry with <paramref name="id"/>, or null.</summary>
    public OutboxItem? GetOutboxItem(OutboxId id)
    {
        using var command = Command("SELECT conversation, record FROM outbox WHERE seq = $s;", ("$s", id.Value));
        using var reader = command.ExecuteReader();
        return reader.Read() ? _store.DecodeOutboxRow(id.Value, ConversationId.FromBytes((byte[])reader[0]), (byte[])reader[1]) : null;
    }

    /// <summary>Removes a sent (or abandoned) outbox entry.</summary>
    public void RemoveFromOutbox(OutboxId id) => Execute("DELETE FROM outbox WHERE seq = $s;", ("$s", id.Value));

    // ---- Key packages -------------------------------------------------------------------------

    /// <summary>Keeps a key package this device published, with its private init and leaf encryption keys (sealed),
    /// until a Welcome names it by <paramref name="keyPackageRef"/>. The signature key is the device's own.</summary>
    public void AddKeyPackage(byte[] keyPackageRef, byte[] keyPackageMessage, ReadOnlySpan<byte> initPrivateKey,
        ReadOnlySpan<byte> encryptionPrivateKey, bool lastResort = false)
    {
        ArgumentNullException.ThrowIfNull(keyPackageRef);
        ArgumentNullException.ThrowIfNull(keyPackageMessage);
        using var stored = new StoredKeyPackage((byte[])keyPackageRef.Clone(), (byte[])keyPackageMessage.Clone(), initPrivateKey.ToArray(),
            encryptionPrivateKey.ToArray(), lastResort, Now);
        byte[] index = Cipher.BlindIndex("key package", keyPackageRef);
        byte[] plain = StoredRecords.EncodeKeyPackage(stored);
        try
        {
            Execute("INSERT INTO key_packages (ref_index, record) VALUES ($r, $rec) ON CONFLICT (ref_index) DO NOTHING;",
                ("$r", index), ("$rec", Cipher.Seal(StoreSchema.KeyPackages, "record", index, plain)));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>The stored key package a Welcome names by <paramref name="keyPackageRef"/>, or null. The caller
    /// disposes it (which wipes the private keys).</summary>
    public StoredKeyPackage? FindKeyPackage(ReadOnlySpan<byte> keyPackageRef)
    {
        byte[] index = Cipher.BlindIndex("key package", keyPackageRef);
        using var command = Command("SELECT record FROM key_packages WHERE ref_index = $r;", ("$r", index));
        return command.ExecuteScalar() is byte[] cell ? _store.DecodeKeyPackageCell(index, cell) : null;
    }

    /// <summary>Deletes a used one-time key package (keep last-resort ones until replaced).</summary>
    public void DeleteKeyPackage(ReadOnlySpan<byte> keyPackageRef)
    {
        Execute("DELETE FROM key_packages WHERE ref_index = $r;", ("$r", Cipher.BlindIndex("key package", keyPackageRef)));
        _changes.Shred = true;
    }

    // ---- Contacts -----------------------------------------------------------------------------

    internal void SaveContact(byte[] rowId, Contact contact)
    {
        Execute("INSERT INTO contacts (id, record) VALUES ($id, $r) ON CONFLICT (id) DO UPDATE SET record = excluded.record;",
            ("$id", rowId), ("$r", Cipher.Seal(StoreSchema.Contacts, "record", rowId, StoredRecords.EncodeContact(contact))));
        _changes.Contacts.Add((rowId, contact));
    }

    // ---- Attachments --------------------------------------------------------------------------

    /// <summary>Records an attachment (its key and digest are sealed); by default it expires with its message.</summary>
    public StoredAttachment AddAttachment(LocalMessageId? message, AttachmentReference reference, string? localPath = null, DateTimeOffset? expiresAt = null,
        string? source = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (expiresAt is null && message is { } m && GetMessage(m) is { } carrier)
        {
            expiresAt = carrier.ExpiresAt;
        }
        var attachment = new StoredAttachment(AttachmentId.New(), message, reference, localPath, expiresAt, source);
        WriteAttachment(attachment, insert: true);
        return attachment;
    }

    /// <summary>Rewrites an attachment (e.g. its local path once downloaded).</summary>
    public void UpdateAttachment(StoredAttachment attachment)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        WriteAttachment(attachment, insert: false);
    }

    /// <summary>Deletes an attachment's record (its key) and, after commit, its local file unless <paramref name="keepFile"/>
    /// (another record took the file over).</summary>
    public void DeleteAttachment(AttachmentId id, bool keepFile = false)
    {
        using var command = Command("SELECT id, message_seq, record FROM attachments WHERE id = $id;", ("$id", id.Value.ToByteArray()));
        foreach (var attachment in _store.ReadAttachments(command))
        {
            if (!keepFile)
            {
                DeleteFileAfterCommit(attachment.LocalPath);
            }
        }
        Execute("DELETE FROM attachments WHERE id = $id;", ("$id", id.Value.ToByteArray()));
        _changes.Shred = true;
    }

    internal IReadOnlyList<StoredAttachment> ReadAllAttachments()
    {
        using var command = Command("SELECT id, message_seq, record FROM attachments;");
        return _store.ReadAttachments(command);
    }

    private void WriteAttachment(StoredAttachment attachment, bool insert)
    {
        long message = attachment.Message?.Value ?? 0;
        byte[] plain = StoredRecords.EncodeAttachment(attachment);
        try
        {
            byte[] cell = Cipher.Seal(StoreSchema.Attachments, "record", RowId.Of(attachment.Id.Value, message), plain);
            Execute(insert
                    ? "INSERT INTO attachments (id, message_seq, record) VALUES ($id, $m, $r);"
                    : "UPDATE attachments SET message_seq = $m, record = $r WHERE id = $id;",
                ("$id", attachment.Id.Value.ToByteArray()), ("$m", attachment.Message is null ? DBNull.Value : message), ("$r", cell));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
        }
    }

    private List<string> DeleteAttachmentsOf(IReadOnlyCollection<long> seqs)
    {
        var files = new List<string>();
        foreach (long seq in seqs)
        {
            using var command = Command("SELECT id, message_seq, record FROM attachments WHERE message_seq = $m;", ("$m", seq));
            var attachments = _store.ReadAttachments(command);
            if (attachments.Count == 0)
            {
                continue;
            }
            foreach (var attachment in attachments)
            {
                if (attachment.LocalPath is { } path)
                {
                    files.Add(path);
                    DeleteFileAfterCommit(path);
                }
            }
            Execute("DELETE FROM attachments WHERE message_seq = $m;", ("$m", seq));
        }
        return files;
    }

    private void DeleteFileAfterCommit(string? path)
    {
        if (path is not null)
        {
            OnCommitted(() => File.Delete(path));
        }
    }
}
