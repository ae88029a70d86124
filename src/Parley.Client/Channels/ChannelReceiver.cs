// Private channels (docs/channels.md) on the receive path: a Welcome that answers one of this device's
// pseudonymous join requests, and the channel groups seen while processing deliveries (an admin added by
// another admin joins through an ordinary Welcome, and gets its channel record after the sync).
using Parley.Client.Conversations;
using Parley.Client.Groups;
using Parley.Client.Identity;
using Parley.Client.Sync;
using Parley.Content;
using Parley.Mls;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Client.Channels;

/// <summary>The receive pipeline's handler for channel Welcomes. Owns the set of channel groups seen since the last
/// sync.</summary>
internal sealed class ChannelReceiver(DeviceContext device, LeafVerifier verifier)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>Notes a group seen to be a channel while processing a delivery.</summary>
    public void Note(MlsGroup group) => _seen.Add(Convert.ToHexString(group.GroupId));

    /// <summary>The group ids of the channels seen since the last call.</summary>
    public List<byte[]> TakeSeen()
    {
        var seen = _seen.Select(Convert.FromHexString).ToList();
        _seen.Clear();
        return seen;
    }

    /// <summary>Opens a Welcome that answers one of this device's channel join requests (with the request's pseudonymous
    /// keys) and saves the channel; null when the Welcome names none of them (an ordinary Welcome).</summary>
    public async Task<List<ClientEvent>?> TryJoinAsync(string deliveryId, MlsMessage message, CancellationToken cancellationToken)
    {
        var welcome = message.Welcome!;
        var joins = device.Store.GetChannelRecords().OfType<PendingChannelJoin>().ToList();
        try
        {
            var pending = joins.FirstOrDefault(j => welcome.Secrets.Any(s => s.NewMember.AsSpan().SequenceEqual(j.KeyPackageRef)));
            if (pending is null)
            {
                return null;
            }
            MlsGroup group;
            try
            {
                var keyPackage = MlsMessage.Decode(pending.KeyPackage).KeyPackage
                                 ?? throw new DeliveryRejected("a stored join request holds no key package");
                using var bundle = KeyPackageBundle.FromPrivateKeys(keyPackage, pending.InitPrivateKey, pending.EncryptionPrivateKey, pending.SignaturePrivateKey);
                group = MlsGroup.JoinFromWelcome(message, bundle, null, device.GroupOptions);
            }
            catch (MlsException e)
            {
                throw new DeliveryRejected("a channel Welcome could not be opened: " + e.Message);
            }
            using (group)
            {
                var channel = ChannelRules.ChannelOf(group) ?? throw new DeliveryRejected("a Welcome answering a channel join request is not for a channel");
                if (device.Store.FindConversationByGroupId(group.GroupId) is not null)
                {
                    throw new DeliveryRejected("a Welcome to a channel this device is already in");
                }
                if (!ChannelRules.IsSubscriber(group))
                {
                    throw new DeliveryRejected("a channel Welcome that does not keep this device pseudonymous");
                }
                var leaves = GroupRoster.Leaves(group);
                if (!leaves.Any(l => channel.IsAdmin(l.Username)))
                {
                    throw new DeliveryRejected($"a Welcome to channel {channel.Name}, which has no admin");
                }
                foreach (var leaf in leaves)
                {
                    if (await verifier.VerifyMemberLeafAsync(group, leaf, cancellationToken).ConfigureAwait(false) is { } problem)
                    {
                        throw new DeliveryRejected($"a Welcome to a channel with an unverifiable member ({problem})");
                    }
                }
                var now = device.Now;
                var conversation = new Conversation(ConversationId.New(), ConversationKind.Group, channel.Name, group.GroupId, null,
                    GroupRoster.Members(group), now, now, 0);
                using var transaction = await device.Store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                transaction.SaveConversation(conversation);
                transaction.SaveGroupState(conversation.Id, group);
                transaction.SaveChannelRecord(new PrivateChannelRecord(conversation.Id, channel.Name, true, ViewToken.NewKey(), 0,
                    QueueToken: pending.QueueToken?.ToArray()));
                transaction.DeleteChannelRecord(pending);
                transaction.MarkDeliveryProcessed(deliveryId);
                transaction.Commit();
                return [new ConversationJoined(conversation, null)];
            }
        }
        finally
        {
            foreach (var join in joins)
            {
                join.Dispose();
            }
        }
    }
}
