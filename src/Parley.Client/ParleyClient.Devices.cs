// Every device of every member is a leaf: each account adds its own new devices to its conversations and
// removes its revoked ones (docs/device-linking.md).
using Parley.Client.Accounts;
using Parley.Client.Channels;
using Parley.Client.Conversations;
using Parley.Client.Groups;
using Parley.Client.Network;
using Parley.Client.Sync;
using Parley.Content;
using Parley.Mls.Messages;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    /// <summary>Adds this account's new devices to, and removes its revoked devices from, every conversation this
    /// device is in.</summary>
    public async Task ReconcileOwnDevicesAsync(CancellationToken cancellationToken = default)
    {
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            await ReconcileOwnDevicesCoreAsync(null, cancellationToken).ConfigureAwait(false);
        }
    }

    // Tells when a device was linked to this account or revoked since this client last looked.
    private void ObserveDevices(IEnumerable<(string DeviceId, bool Revoked)> devices, List<ClientEvent>? events)
    {
        if (_ownDevices.Observe(devices) is { } changed)
        {
            Announce([changed], events);
        }
    }

    // Tells devices just added the conversation's kind, title and disappearing timer.
    private async Task SendConversationSettingsAsync(Conversation current, CancellationToken cancellationToken)
    {
        await SendCoreAsync(current.Id, new ConversationInfoContent(current.Kind,
            current.Kind == ConversationKind.Group ? current.DisplayName : ""), cancellationToken).ConfigureAwait(false);
        if (current.DisappearingTimer is { } timer)
        {
            await SendCoreAsync(current.Id, new DisappearingTimerContent(timer), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ReconcileOwnDevicesCoreAsync(List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        if (_store.Conversations.Count == 0)
        {
            return;
        }
        var devices = await _server.ListDevicesAsync(cancellationToken).ConfigureAwait(false);
        ObserveDevices(devices.Select(d => (d.DeviceId, d.Revoked)), events);
        var active = devices.Where(d => !d.Revoked && d.DeviceId != DeviceId).Select(d => d.DeviceId).ToHashSet(StringComparer.Ordinal);
        var revoked = devices.Where(d => d.Revoked).Select(d => d.DeviceId).ToHashSet(StringComparer.Ordinal);
        foreach (var conversation in _store.Conversations)
        {
            bool missing, stale;
            ushort suite;
            using (var group = _store.LoadGroup(conversation.Id, _groupOptions))
            {
                suite = group.Suite.Id;
                if (!group.IsActive || group.HasPendingCommit || ChannelRules.IsSubscriber(group))
                {
                    continue;
                }
                var leaves = GroupRoster.Leaves(group);
                missing = active.Any(id => leaves.All(l => l.DeviceId != id));
                stale = leaves.Any(l => revoked.Contains(l.DeviceId));
            }
            if (!missing && !stale)
            {
                continue;
            }
            try
            {
                var claimed = missing ? await ClaimVerifiedAsync(Username, suite, cancellationToken).ConfigureAwait(false) : [];
                claimed = claimed.Where(c => active.Contains(c.DeviceId)).ToList();
                bool committed = await CommitAsync(conversation.Id, group =>
                {
                    var leaves = GroupRoster.Leaves(group);
                    var present = leaves.Select(l => l.DeviceId).ToHashSet(StringComparer.Ordinal);
                    var adds = claimed.Where(c => !present.Contains(c.DeviceId) && ChannelRules.Supports(group, c.KeyPackage)).Select(c => (Proposal)new Add(c.KeyPackage));
                    var removes = leaves.Where(l => revoked.Contains(l.DeviceId)).Select(l => (Proposal)new Remove(l.Leaf));
                    return new CommitPlan(adds.Concat(removes).ToList(), []);
                }, cancellationToken).ConfigureAwait(false);
                if (committed && claimed.Count > 0 && _store.GetConversation(conversation.Id) is { } current)
                {
                    await SendConversationSettingsAsync(current, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (ParleyClientException)
            {
                // Removed from it meanwhile, or lost every race: try again next sync.
            }
            catch (ServerProblemException)
            {
                // E.g. the device was revoked again meanwhile (unknown_device): next sync.
            }
        }
    }
}
