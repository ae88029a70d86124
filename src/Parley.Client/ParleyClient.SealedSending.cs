// Parley sealed sending (docs/protocol.md, "Sealed sending"): application messages go to the server signed by the epoch's
// delivery credential, derived by every member from the MLS exporter, instead of under the device's credential; commits
// and group registrations announce the delivery key of the epoch they start.
using System.Security.Cryptography;
using Parley.Client.Channels;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Network;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    // Conversation → the seed and delivery credential of the epoch its last sealed send went in (SignerOf).
    private readonly Dictionary<ConversationId, (byte[] Seed, SealedSigner Signer)> _sealedSigners = [];

    /// <summary>Sends an outbox application message sealed. False when it must go authenticated instead: sealed sending is
    /// off, the conversation is a channel (only admins post, which a sealed send cannot show) or a 1:1 whose other account
    /// this account blocks, the group has left the message's epoch, or the server refused the sealed send (a server without
    /// sealed sending, or a delivery key it does not hold). An unreachable server or a rate limit throws, as for the
    /// authenticated send, and the message stays in the outbox.</summary>
    private async Task<bool> TrySendSealedAsync(OutboxItem item, Conversation conversation, CancellationToken cancellationToken)
    {
        if (!_options.SealedSending || item.Kind != OutboxKind.Application || BlocksOtherMember(conversation)
            || SealedRequest(item, conversation) is not { } request)
        {
            return false;
        }
        try
        {
            await _server.SendSealedAsync(conversation.GroupId, request, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ServerProblemException p) when (p.Status is >= 400 and < 500 && p.Code != "rate_limited")
        {
            // Nothing was stored: the authenticated send gives the answer that counts.
            return false;
        }
    }

    // In a 1:1 where this account blocks the other, the server withholds sealed messages from this account's devices
    // (it cannot tell who sent them), so this account's own messages go authenticated and still reach its other devices.
    private bool BlocksOtherMember(Conversation conversation)
        => conversation.Kind == ConversationKind.Direct && conversation.Members.Any(m => m.Username != Username && IsBlocked(m.Username));

    private SealedSendRequest? SealedRequest(OutboxItem item, Conversation conversation)
    {
        ulong epoch;
        try
        {
            if (MlsMessage.Decode(item.Message).PrivateMessage is not { } message)
            {
                return null;
            }
            epoch = message.Epoch;
        }
        catch (MlsDecodeException)
        {
            return null;
        }
        using var group = _store.LoadGroup(conversation.Id, _groupOptions);
        if (!group.IsActive || group.Epoch != epoch || ChannelRules.ChannelOf(group) is not null)
        {
            return null;
        }
        lock (_sealedSigners)
        {
            SealedSigner signer = SignerOf(conversation, group);
            return new SealedSendRequest(item.DeliveryId, item.Message, signer.DeliveryKey,
                signer.Sign(conversation.GroupId, item.DeliveryId, item.Message));
        }
    }

    /// <summary>The delivery credential of <paramref name="group"/>'s current epoch. The seed comes from the MLS exporter every
    /// time (two hashes); the key pair, whose derivation costs more than a signature, only when the seed differs from the one
    /// the conversation last sent sealed with (a new epoch). Called under the lock of <see cref="_sealedSigners"/>.</summary>
    private SealedSigner SignerOf(Conversation conversation, MlsGroup group)
    {
        byte[] seed = group.Export(SealedSender.ExporterLabel, conversation.GroupId, SealedSender.SeedSize);
        if (_sealedSigners.TryGetValue(conversation.Id, out var kept))
        {
            if (CryptographicOperations.FixedTimeEquals(kept.Seed, seed))
            {
                CryptographicOperations.ZeroMemory(seed);
                return kept.Signer;
            }
            Forget(kept);
        }
        var signer = new SealedSigner(seed);
        _sealedSigners[conversation.Id] = (seed, signer);
        return signer;
    }

    private static void Forget((byte[] Seed, SealedSigner Signer) kept)
    {
        CryptographicOperations.ZeroMemory(kept.Seed);
        kept.Signer.Dispose();
    }

    /// <summary>Wipes the kept delivery credentials.</summary>
    private void DisposeSealedSigners()
    {
        lock (_sealedSigners)
        {
            foreach (var kept in _sealedSigners.Values)
            {
                Forget(kept);
            }
            _sealedSigners.Clear();
        }
    }

    /// <summary>The delivery key of <paramref name="group"/>'s current epoch, announced when the group is registered.</summary>
    private static byte[] DeliveryKeyOf(MlsGroup group, byte[] groupId)
        => DeliveryKeyOf(group.Export(SealedSender.ExporterLabel, groupId, SealedSender.SeedSize));

    /// <summary>The delivery key of the epoch an outbox commit starts (the group's pending Commit), announced with it; null for
    /// anything else.</summary>
    private byte[]? NextDeliveryKey(OutboxItem item, Conversation conversation)
    {
        if (item.Kind != OutboxKind.Commit)
        {
            return null;
        }
        using var group = _store.LoadGroup(conversation.Id, _groupOptions);
        return group.HasPendingCommit
            ? DeliveryKeyOf(group.ExportPending(SealedSender.ExporterLabel, conversation.GroupId, SealedSender.SeedSize))
            : null;
    }

    private static byte[] DeliveryKeyOf(byte[] seed)
    {
        try
        {
            return SealedSender.DeliveryKey(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>What names the sender of a received message in a report, since the server's stamp of a sealed send names
    /// nobody (docs/safety.md, "Reports of sealed messages").</summary>
    internal static SenderProof? SenderProofOf(ApplicationMessage application, string senderDevice)
        => application.Authentication is { } authentication
            ? new SenderProof(application.Sender.LeafIndex.Value, senderDevice, authentication.GroupContext, authentication.Signature)
            : null;
}
