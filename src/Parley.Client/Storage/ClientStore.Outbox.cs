// What waits on this device: deliveries already processed, the outbox, its key packages and its
// attachments (docs/client-envelope.md, "Local store").
using Parley.Content;
using Microsoft.Data.Sqlite;
using Parley.Client.Attachments;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Search;

namespace Parley.Client.Storage;

public sealed partial class ClientStore
{
    // ---- Deliveries, outbox, key packages, attachments ----------------------------------------

    /// <summary>True when the delivery (server message id) was already processed and committed.</summary>
    public bool IsDeliveryProcessed(string deliveryId)
    {
        using var connection = OpenReader();
        return IsDeliveryProcessed(connection, null, deliveryId);
    }

    /// <summary>Everything encrypted and waiting to be sent, oldest first.</summary>
    public IReadOnlyList<OutboxItem> GetOutbox()
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, conversation, record FROM outbox ORDER BY seq;";
        var items = new List<OutboxItem>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            items.Add(DecodeOutboxRow(reader.GetInt64(0), ConversationId.FromBytes((byte[])reader[1]), (byte[])reader[2]));
        }
        return items;
    }

    /// <summary>How many key packages (with their private keys) wait to be used, one-time and last-resort.</summary>
    public int KeyPackageCount
    {
        get
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM key_packages;";
            return (int)(long)command.ExecuteScalar()!;
        }
    }

    /// <summary>Every stored key package (the caller disposes them, which wipes their private keys).</summary>
    public IReadOnlyList<StoredKeyPackage> GetKeyPackages()
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT ref_index, record FROM key_packages;";
        var list = new List<StoredKeyPackage>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            list.Add(DecodeKeyPackageCell((byte[])reader[0], (byte[])reader[1]));
        }
        return list;
    }

    internal StoredKeyPackage DecodeKeyPackageCell(byte[] index, byte[] cell)
    {
        byte[] plain = _cipher.Open(StoreSchema.KeyPackages, "record", index, cell);
        try
        {
            return StoredRecords.DecodeKeyPackage(plain);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>The attachments a message carries.</summary>
    public IReadOnlyList<StoredAttachment> GetAttachments(LocalMessageId message)
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, message_seq, record FROM attachments WHERE message_seq = $m;";
        command.Parameters.AddWithValue("$m", message.Value);
        return ReadAttachments(command);
    }

    /// <summary>The attachments this device is still sending: encrypted and (partly) uploaded, with no message yet.</summary>
    public IReadOnlyList<StoredAttachment> GetUnsentAttachments()
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, message_seq, record FROM attachments WHERE message_seq IS NULL;";
        return ReadAttachments(command);
    }

    /// <summary>The attachment with <paramref name="id"/>, or null.</summary>
    public StoredAttachment? GetAttachment(AttachmentId id)
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, message_seq, record FROM attachments WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id.Value.ToByteArray());
        return ReadAttachments(command).SingleOrDefault();
    }
}
