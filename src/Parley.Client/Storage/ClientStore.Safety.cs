// What abuse reports and blocking keep on the device (docs/client-envelope.md §6): the server's delivery stamp
// of each received message (sealed, bound to its message row) and the block list (sealed names under blind indexes).
using System.Text;
using Parley.Client.Messages;

namespace Parley.Client.Storage;

public sealed partial class ClientStore
{
    /// <summary>The server's delivery stamp stored with <paramref name="message"/>, or null when it arrived without one.</summary>
    public byte[]? GetStamp(StoredMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT record FROM message_stamps WHERE message_seq = $s;";
        command.Parameters.AddWithValue("$s", message.LocalId.Value);
        return command.ExecuteScalar() is byte[] cell
            ? _cipher.Open(StoreSchema.MessageStamps, "record", RowId.Of(message.LocalId.Value, message.Conversation), cell)
            : null;
    }

    /// <summary>The accounts this device hides messages from, sorted.</summary>
    public IReadOnlyList<string> BlockedUsernames
    {
        get
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT ref_index, record FROM blocks;";
            var names = new List<string>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                byte[] index = (byte[])reader[0];
                string name = Encoding.UTF8.GetString(_cipher.Open(StoreSchema.Blocks, "record", index, (byte[])reader[1]));
                // The index is in clear: a row whose index was swapped in decrypts fine but names another account.
                if (!index.AsSpan().SequenceEqual(BlockIndex(name)))
                {
                    throw new StoreIntegrityException(StoreSchema.Blocks, "ref_index");
                }
                names.Add(name);
            }
            names.Sort(StringComparer.Ordinal);
            return names;
        }
    }

    internal byte[] BlockIndex(string username) => _cipher.BlindIndex("block", username);
}
