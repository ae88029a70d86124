// One decrypted envelope being applied to the local history (docs/client-envelope.md, "Applying envelopes"),
// as the content handlers see it: who sent it, to which conversation, and the two things a handler does —
// add a message, or change the message it names — each reporting its event.
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Content;

namespace Parley.Client.Sync;

/// <summary>Applies one kind of content (see <see cref="ContentEffects"/> for the handlers and how to add one).</summary>
internal interface IContentHandler
{
    /// <summary>Applies <paramref name="application"/>'s content when it is of this handler's kind; false when it is not.</summary>
    bool Apply(ContentApplication application);
}

/// <summary>An envelope from <see cref="SenderUsername"/>'s device <see cref="SenderDeviceId"/> being applied inside a
/// store transaction; <see cref="Events"/> collects what to raise once the transaction commits.</summary>
internal sealed class ContentApplication
{
    public ContentApplication(StoreTransaction transaction, ConversationId conversationId, ContentEnvelope envelope, byte[] envelopeBytes,
        string senderDeviceId, string senderUsername, string ownUsername, bool sentByThisDevice)
    {
        Transaction = transaction;
        ConversationId = conversationId;
        Envelope = envelope;
        EnvelopeBytes = envelopeBytes;
        SenderDeviceId = senderDeviceId;
        SenderUsername = senderUsername;
        OwnUsername = ownUsername;
        SentByThisDevice = sentByThisDevice;
        Conversation = transaction.GetConversation(conversationId) ?? throw new InvalidOperationException("The conversation is gone.");
        Outgoing = senderUsername == ownUsername;
    }

    public StoreTransaction Transaction { get; }

    public ConversationId ConversationId { get; }

    /// <summary>The conversation as it was before this envelope.</summary>
    public Conversation Conversation { get; }

    public ContentEnvelope Envelope { get; }

    public byte[] EnvelopeBytes { get; }

    public string SenderDeviceId { get; }

    public string SenderUsername { get; }

    public string OwnUsername { get; }

    /// <summary>This device is sending it (applied before it goes out): no event for the message itself.</summary>
    public bool SentByThisDevice { get; }

    /// <summary>Sent by this account (this device, or a copy from another of its devices).</summary>
    public bool Outgoing { get; }

    public List<ClientEvent> Events { get; } = [];

    /// <summary>The conversation as it stands in the transaction.</summary>
    public Conversation Current => Transaction.GetConversation(ConversationId)!;

    /// <summary>Adds the envelope as a new message (null when the conversation already has it) and reports it.</summary>
    public StoredMessage? Add()
    {
        var status = SentByThisDevice ? DeliveryStatus.Pending : Outgoing ? DeliveryStatus.Sent : DeliveryStatus.Received;
        var stored = Transaction.AddMessage(new NewMessage(ConversationId, Envelope, EnvelopeBytes, SenderDeviceId, SenderUsername, Outgoing, status));
        if (stored is not null && !SentByThisDevice)
        {
            Events.Add(new MessageReceived(Current, stored));
        }
        return stored;
    }

    /// <summary>Changes the message <paramref name="target"/> names, when it is here and <paramref name="change"/>
    /// allows (returns a new state), and reports it as <paramref name="what"/>.</summary>
    public void Update(string target, Func<StoredMessage, MessageState?> change, string what)
    {
        if (Transaction.FindMessage(ConversationId, target) is not { } message)
        {
            return;
        }
        var state = change(message);
        if (state is null)
        {
            return;
        }
        var updated = Transaction.UpdateMessage(message, state);
        if (!SentByThisDevice)
        {
            Events.Add(new MessageUpdated(Current, updated, what));
        }
    }
}
