// Writing a backup's items, or a device link's history bundle's, into a new device's store (docs/backup.md,
// "Restoring"; docs/device-linking.md, "History").
using System.Security.Cryptography;
using Parley.Client.Channels;
using Parley.Client.Storage;
using Parley.Mls.Group;

namespace Parley.Client.Backup;

/// <summary>Applies a checked backup to a store in one transaction: all of it or, on any failure, nothing.</summary>
internal static class BackupImport
{
    /// <summary>Reads the backup (or history bundle) at <paramref name="path"/> again and writes its contacts, blocks,
    /// conversations, messages and channel records into <paramref name="store"/>. <paramref name="newGroup"/> makes a
    /// group with a given id for this device; it is saved inactive as the conversation's placeholder. Messages go in
    /// through one prepared statement (<see cref="StoreTransaction.MessageImport"/>).</summary>
    public static void Apply(ClientStore store, string path, BackupSecret secret, Func<byte[], MlsGroup> newGroup,
        IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        using var transaction = store.BeginTransaction();
        using var messages = transaction.BeginMessageImport();
        var (_, seed) = BackupContents.ReadFile(path, secret, item =>
        {
            switch (item)
            {
                case BackupItem.ContactItem c:
                    transaction.SaveContact(RandomNumberGenerator.GetBytes(16), c.Contact);
                    break;
                case BackupItem.BlockItem b:
                    transaction.SetBlocked(b.Username, true);
                    break;
                case BackupItem.ConversationItem c:
                    transaction.SaveConversation(c.Conversation);
                    // A local placeholder of the group, never sent: the conversation reads as one this device left, so a
                    // Welcome from another device of the account makes it a member again with its history kept.
                    using (var placeholder = newGroup(c.Conversation.GroupId))
                    {
                        placeholder.Deactivate();
                        transaction.SaveGroupState(c.Conversation.Id, placeholder);
                    }
                    break;
                case BackupItem.MessageItem m:
                    messages.Add(m.Conversation, m.Record, m.State);
                    break;
                case BackupItem.ChannelItem { Record: PrivateChannelRecord p }:
                    transaction.SaveChannelRecord(p);
                    break;
                case BackupItem.ChannelItem { Record: PublicChannelRecord p }:
                    transaction.SaveChannelRecord(p);
                    break;
            }
        }, progress, cancellationToken);
        CryptographicOperations.ZeroMemory(seed);
        messages.Dispose();
        transaction.Commit();
    }
}
