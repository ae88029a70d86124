// Reading the channel records (docs/channels.md, "Client"): one sealed cell per record in channel_records,
// found by a blind index of its key, so the file shows neither channel names nor servers.
using Parley.Client.Channels;

namespace Parley.Client.Storage;

public sealed partial class ClientStore
{
    /// <summary>The table of channel records.</summary>
    internal const string ChannelRecordsTable = "channel_records";

    /// <summary>Every channel record (private channels, pending joins, public channels). Pending joins hold secrets:
    /// the caller disposes them.</summary>
    public IReadOnlyList<object> GetChannelRecords()
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT ref_index, record FROM channel_records;";
        var records = new List<object>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            records.Add(DecodeChannelCell((byte[])reader[0], (byte[])reader[1]));
        }
        return records;
    }

    /// <summary>The private channel record of <paramref name="conversation"/>, or null.</summary>
    public PrivateChannelRecord? GetPrivateChannel(Conversations.ConversationId conversation)
        => ReadChannelRecord("private/" + conversation) as PrivateChannelRecord;

    /// <summary>The record of the public channel <paramref name="name"/> on <paramref name="server"/>, or null.</summary>
    public PublicChannelRecord? GetPublicChannel(Uri server, string name)
        => ReadChannelRecord(ChannelRecordCodec.PublicKey(server, name)) as PublicChannelRecord;

    internal byte[] ChannelIndex(string key) => _cipher.BlindIndex("channel", key);

    private object? ReadChannelRecord(string key)
    {
        byte[] index = ChannelIndex(key);
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT record FROM channel_records WHERE ref_index = $i;";
        command.Parameters.AddWithValue("$i", index);
        return command.ExecuteScalar() is byte[] cell ? DecodeChannelCell(index, cell) : null;
    }

    private object DecodeChannelCell(byte[] index, byte[] cell)
    {
        byte[] plain = _cipher.Open(ChannelRecordsTable, "record", index, cell);
        try
        {
            return ChannelRecordCodec.Decode(plain);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
        }
    }
}
