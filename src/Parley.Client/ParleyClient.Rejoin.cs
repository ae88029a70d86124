// Rejoining after a restore (docs/backup.md, "Rejoining"): a device restored from a backup asks each of its
// conversations to take it back with an MLS join request (RFC 9420 §12.1.8, an Add from a new_member_proposal sender).
// Any member's device — the account's other device, or a contact's — commits it on its next sync, once the request is
// certified by the pinned key of an account already in the group; the server takes it only from such a device.
using System.Security.Cryptography;
using Parley.Client.Conversations;
using Parley.Client.Groups;
using Parley.Client.Network;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Group;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    // How long a request waits for a member to commit it before it is sent again (a member's commit of anything else
    // first makes it void: a proposal lives one epoch).
    private static readonly TimeSpan RejoinRetry = TimeSpan.FromMinutes(10);

    private readonly Dictionary<ConversationId, DateTimeOffset> _rejoinRequested = [];

    // The conversations still waiting to be taken back, found once per process; null until then.
    private HashSet<ConversationId>? _awaitingRejoin;

    /// <summary>Asks every conversation this device holds only from a backup (restored and not yet taken back) to add it
    /// again; returns how many requests the server took. A conversation whose account has no device left in it, or that
    /// is a channel, is skipped (the server would refuse).</summary>
    public async Task<int> RequestRejoinAsync(CancellationToken cancellationToken = default)
    {
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            return await RequestRejoinCoreAsync(force: true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The conversations waiting to be taken back after a restore.</summary>
    public IReadOnlyList<Conversation> AwaitingRejoin => _store.Conversations.Where(IsAwaitingRejoin).ToList();

    // A restored conversation's placeholder group (BackupImport) is inactive at epoch 0; a conversation this device left or
    // was removed from is inactive at a later epoch, and a channel joins by invite.
    private bool IsAwaitingRejoin(Conversation conversation)
    {
        if (_store.GetPrivateChannel(conversation.Id) is not null)
        {
            return false;
        }
        using var group = _store.LoadGroup(conversation.Id, _groupOptions);
        return !group.IsActive && group.Epoch == 0;
    }

    private async Task<int> RequestRejoinCoreAsync(bool force, CancellationToken cancellationToken)
    {
        _awaitingRejoin ??= _store.Conversations.Where(IsAwaitingRejoin).Select(c => c.Id).ToHashSet();
        _awaitingRejoin.RemoveWhere(id => _store.GetConversation(id) is not { } c || !IsAwaitingRejoin(c));
        int sent = 0;
        foreach (var conversation in _awaitingRejoin.Select(_store.GetConversation).OfType<Conversation>().ToList())
        {
            if (!force && _rejoinRequested.TryGetValue(conversation.Id, out var at) && Now - at < RejoinRetry)
            {
                continue;
            }
            try
            {
                if (await SendJoinRequestAsync(conversation, cancellationToken).ConfigureAwait(false))
                {
                    _rejoinRequested[conversation.Id] = Now;
                    sent++;
                }
            }
            catch (ServerProblemException)
            {
                // Refused (the account has no device left in it, or another suite): nothing to wait for until the next try.
                _rejoinRequested[conversation.Id] = Now;
            }
        }
        return sent;
    }

    // One request with a fresh key package whose private keys are kept first, so the Welcome that answers it opens. The
    // request names an epoch; when the group moved on, the server answers stale_epoch with the current one, tried once more.
    // A backup does not say a group's cipher suite: each suite this device takes part in is tried in turn, and the server
    // refuses a key package of another suite than the group's.
    private async Task<bool> SendJoinRequestAsync(Conversation conversation, CancellationToken cancellationToken)
    {
        for (int i = 0; i < _leaf.Suites.Count; i++)
        {
            bool last = i == _leaf.Suites.Count - 1;
            try
            {
                return await SendJoinRequestAsync(conversation, _leaf.InSuite(_leaf.Suites[i]), cancellationToken).ConfigureAwait(false);
            }
            catch (ServerProblemException e) when (!last && e.Code == "invalid_signature")
            {
                // Most likely another suite than the group's: the next one.
            }
        }
        return false;
    }

    private async Task<bool> SendJoinRequestAsync(Conversation conversation, DeviceLeaf leaf, CancellationToken cancellationToken)
    {
        var package = leaf.NewKeyPackage(Now);
        bool sent = false;
        try
        {
            using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
            {
                transaction.AddKeyPackage(package.Ref, package.Message, package.InitPrivateKey, package.EncryptionPrivateKey);
                transaction.Commit();
            }
            using var bundle = leaf.Bundle(package);
            ulong epoch = 0;
            for (int attempt = 0; attempt < 2 && !sent; attempt++)
            {
                byte[] request = MlsGroup.CreateJoinProposal(bundle, conversation.GroupId, epoch).ToBytes();
                try
                {
                    await _server.SendMessageAsync(conversation.GroupId, new SendRequest(ContentEnvelope.NewMessageId(), request, null), cancellationToken)
                        .ConfigureAwait(false);
                    sent = true;
                }
                catch (ServerProblemException e) when (e.Code == "stale_epoch" && e.Epoch is { } current && current != epoch)
                {
                    epoch = current;
                }
            }
            return sent;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(package.InitPrivateKey);
            CryptographicOperations.ZeroMemory(package.EncryptionPrivateKey);
            if (!sent)
            {
                // No Welcome can name a package the server never took.
                using var transaction = await _store.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
                transaction.DeleteKeyPackage(package.Ref);
                transaction.Commit();
            }
        }
    }
}
