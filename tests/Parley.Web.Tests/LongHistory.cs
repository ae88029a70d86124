using Parley.Client;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Content;

namespace Parley.Web.Tests;

/// <summary>Gives a home's chat a long history at once, written straight into its store (as if it had been received
/// over years): messages "note 0000", "note 0001", … from the peer, oldest first, spread over the days before now.</summary>
public static class LongHistory
{
    /// <summary>Adds <paramref name="count"/> messages to the direct chat with <paramref name="peer"/> of the device in
    /// <paramref name="home"/>, which must be closed (no <c>parley web</c> on it yet).</summary>
    public static void Fill(string home, string passphrase, string peer, int count)
    {
        using var client = ParleyClient.Open(home, passphrase);
        var conversation = client.FindConversation(peer) ?? throw new InvalidOperationException($"{home} has no chat with {peer}.");
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        var step = TimeSpan.FromDays(29) / count;
        const int Batch = 5000;
        for (int first = 0; first < count; first += Batch)
        {
            using var transaction = client.Store.BeginTransaction();
            for (int i = first; i < Math.Min(count, first + Batch); i++)
            {
                var envelope = new ContentEnvelope(ContentEnvelope.NewMessageId(), start + step * i, new TextContent($"note {i:D4}"));
                transaction.AddMessage(new NewMessage(conversation.Id, envelope, envelope.Encode(), "history", peer, false, DeliveryStatus.Received));
            }
            transaction.Commit();
        }
        using (var transaction = client.Store.BeginTransaction())
        {
            transaction.MarkConversationRead(conversation.Id);
            transaction.Commit();
        }
    }
}
