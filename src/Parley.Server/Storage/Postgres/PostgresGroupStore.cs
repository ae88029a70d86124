using Microsoft.Extensions.Options;
using Npgsql;
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Franking;
using Parley.Server.Groups;
using Parley.Server.Storage.Shared;

namespace Parley.Server.Storage.Postgres;

/// <summary>Group rosters and group delivery in PostgreSQL, shared by every node. Commit order is
/// decided in the database: a commit for epoch N is accepted by
/// <c>UPDATE groups SET epoch = N + 1 WHERE group_id = … AND epoch = N</c>, so when two nodes race,
/// the second's update finds no row (it waits for the first's lock, then re-reads) and its commit is
/// answered stale_epoch. A send is decided and recorded on the group's rows in one transaction,
/// then copied into mailboxes by <see cref="PostgresFanout"/> before the sender is answered.</summary>
internal sealed class PostgresGroupStore(PostgresDatabase database, SqlEngine engine, PostgresFanout fanout, IOptions<ParleyServerOptions> options,
    FrankingStamper stamper)
    : IGroupStore
{
    public Task<CreateGroupOutcome> CreateAsync(GroupId id, ushort cipherSuite, DeviceId creator, GroupGenesis? genesis,
        CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(WriteKeys.ForGroup(id.Value), async (connection, ct) =>
        {
            int inserted = await connection.ExecuteAsync(
                """
                INSERT INTO groups (group_id, cipher_suite, epoch, group_context, interim_hash, delivery_key) VALUES ($1, $2, 0, $3, $4, $5)
                ON CONFLICT DO NOTHING
                """,
                [id.Value, (int)cipherSuite, genesis?.State.ContextBytes(), genesis?.State.InterimTranscriptHash, genesis?.DeliveryKey], ct);
            if (inserted == 0)
            {
                return CreateGroupOutcome.AlreadyExists;
            }
            await connection.ExecuteAsync("INSERT INTO group_members (group_id, leaf_index, device_id, signature_key) VALUES ($1, 0, $2, $3)",
                [id.Value, creator.Value, genesis?.CreatorKey], ct);
            return CreateGroupOutcome.Created;
        }, cancellationToken);

    public async Task<GroupRoster?> FindAsync(GroupId id, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return await LoadAsync(connection, id, withKeys: false, cancellationToken);
    }

    public async Task<SubmissionOutcome> SubmitAsync(GroupSubmission submission, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(submission);
        Decision decision;
        try
        {
            decision = await database.Writer.ExecuteAsync(WriteKeys.ForGroup(submission.GroupId.Value),
                (connection, ct) => DecideAsync(connection, submission, ct), cancellationToken);
        }
        catch (StoreRollback<bool>)
        {
            // The same send was being recorded by another node at the same moment; it is there now.
            decision = await database.Writer.ExecuteAsync(WriteKeys.ForGroup(submission.GroupId.Value),
                (connection, ct) => DecideAsync(connection, submission, ct), cancellationToken);
        }
        if (decision.Pending is not { } pending)
        {
            return decision.Outcome!;
        }
        IReadOnlyList<DeviceId> delivered = await fanout.RunAsync(pending, cancellationToken);
        fanout.MarkDoneLater(pending);
        return new SubmissionOutcome.Accepted(pending.Epoch, delivered, decision.Repeated);
    }

    /// <summary>The group half of a send, inside the writer's transaction.</summary>
    private async Task<Decision> DecideAsync(NpgsqlConnection connection, GroupSubmission submission, CancellationToken cancellationToken)
    {
        string group = submission.GroupId.Value;
        byte[] sendKey = submission.SendKey;
        if (await FindSendAsync(connection, group, sendKey, cancellationToken) is { } earlier)
        {
            return earlier;
        }
        GroupRoster? roster = await LoadAsync(connection, submission.GroupId, submission.Kind != GroupMessageKind.Application,
            cancellationToken, withDeliveryKeys: submission.Sealed);
        if (roster is null)
        {
            return new Decision(new SubmissionOutcome.GroupNotFound(), null, false);
        }
        RuleContext context = await RuleContext.LoadAsync(connection, roster, submission, options.Value.MaxGroupMembers, cancellationToken);
        context.Channel = await PostgresChannelRules.LoadRuleFactsAsync(connection, roster, submission, context.FindProposal,
            database.Time.GetUtcNow(), options.Value.MaxChannelMembers, cancellationToken);
        var (decided, rejection) = GroupRules.Decide(roster, submission, context);
        if (rejection is not null)
        {
            return new Decision(rejection, null, false);
        }
        GroupDecision d = decided!;

        if (submission.Kind == GroupMessageKind.Commit)
        {
            // The decision in the database: only one commit per epoch finds the row.
            int advanced = await connection.ExecuteAsync(
                """
                UPDATE groups SET epoch = epoch + 1, group_context = $3, interim_hash = $4, previous_delivery_key = delivery_key,
                                  delivery_key = $5
                WHERE group_id = $1 AND epoch = $2
                """,
                [group, (long)roster.Epoch, d.NextState?.ContextBytes(), d.NextState?.InterimTranscriptHash, submission.NextDeliveryKey],
                cancellationToken);
            if (advanced == 0)
            {
                return await StaleAsync(connection, group, sendKey, roster.Epoch, cancellationToken);
            }
            await SqlGroupRoster.ApplyCommitAsync(new Db(engine, connection, cancellationToken), group, RosterChange.Between(roster, d));
            if (d.Channel is { } channelEffects)
            {
                await PostgresChannelRules.ApplyCommitAsync(connection, submission.GroupId, channelEffects, cancellationToken);
            }
            if (context.Channel is not null)
            {
                await PostgresChannelRules.SaveGroupInfoAsync(connection, submission.GroupId, d.Epoch, submission.GroupInfo, cancellationToken);
            }
        }
        else if (d.ProposalRef is not null)
        {
            // A proposal must not slip in beside a commit of its epoch: hold the row against commits.
            if (await connection.ScalarAsync("SELECT 1 FROM groups WHERE group_id = $1 AND epoch = $2 FOR SHARE",
                    [group, (long)roster.Epoch], cancellationToken) is null)
            {
                return await StaleAsync(connection, group, sendKey, roster.Epoch, cancellationToken);
            }
            await connection.ExecuteAsync(
                """
                INSERT INTO group_proposals (group_id, proposal_ref, epoch, sender_leaf, proposal)
                VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
                """,
                [group, d.ProposalRef, (long)roster.Epoch, (long)d.SenderLeaf, submission.PublicMessage!.Content.Proposal!.ToBytes()],
                cancellationToken);
        }

        // Blocking and franking stamps are decided here, in the transaction that accepts the send (docs/safety.md).
        // A sealed send has no sender account: in a 1:1 with a block, the blocker's devices get nothing sealed.
        AccountId? senderAccount = null;
        IReadOnlyList<DeviceId> messageRecipients, welcomeRecipientDevices;
        if (submission.Sealed)
        {
            messageRecipients = await PostgresBlockLookups.WithholdSealedAsync(connection, roster, d.MessageRecipients,
                options.Value.MaxDevicesPerAccount, cancellationToken);
            welcomeRecipientDevices = d.WelcomeRecipients;
        }
        else
        {
            (senderAccount, List<AccountId> blockers) = await PostgresBlockLookups.SenderAsync(connection, submission.Sender, cancellationToken);
            (messageRecipients, welcomeRecipientDevices) = await PostgresBlockLookups.WithholdAsync(connection, roster, submission.Kind,
                senderAccount, blockers, d.MessageRecipients, d.WelcomeRecipients, cancellationToken);
        }
        var stamps = stamper.StampsFor(submission, senderAccount, messageRecipients, database.Time.GetUtcNow());
        string[] recipients = messageRecipients.Select(r => r.Value).ToArray();
        string[] welcomeRecipients = submission.Welcome is null ? [] : welcomeRecipientDevices.Select(r => r.Value).ToArray();
        var pending = new PendingFanout(group, sendKey, d.Epoch, submission.MessageId, submission.Message, recipients,
            welcomeRecipients.Length > 0 ? submission.Welcome : null, welcomeRecipients, Pg.UnixSeconds(submission.ExpiresAt),
            stamps is null ? null : messageRecipients.Select(r => stamps[r]).ToArray());
        int recorded = await connection.ExecuteAsync(
            """
            INSERT INTO group_sends (group_id, send_key, epoch, accepted_at, expires_at, message_id, message, recipients, welcome,
                                     welcome_recipients, stamps)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING
            """,
            [group, sendKey, (long)d.Epoch, Pg.UnixSeconds(database.Time.GetUtcNow()), pending.ExpiresAt, pending.MessageId,
                pending.Message, pending.Recipients, pending.Welcome, pending.WelcomeRecipients, pending.Stamps],
            cancellationToken);
        if (recorded == 0)
        {
            throw new StoreRollback<bool>(true);
        }
        return new Decision(null, pending, false);
    }

    /// <summary>The answer to a commit or proposal whose epoch moved under it: a repeat if the same
    /// send was accepted meanwhile (a retry racing its original), else stale_epoch with the epoch now.</summary>
    private static async Task<Decision> StaleAsync(NpgsqlConnection connection, string group, byte[] sendKey, ulong epoch,
        CancellationToken cancellationToken)
    {
        if (await FindSendAsync(connection, group, sendKey, cancellationToken) is { } earlier)
        {
            return earlier;
        }
        long current = (long)(await connection.ScalarAsync("SELECT epoch FROM groups WHERE group_id = $1", [group], cancellationToken))!;
        return new Decision(new SubmissionOutcome.Rejected(RejectionReason.StaleEpoch,
            $"The message is for epoch {epoch} but the group is at epoch {current}; process the newer commits and retry.",
            (ulong)current), null, false);
    }

    /// <summary>An earlier acceptance of the same send: repeated, with its fan-out if that is unfinished.</summary>
    private static async Task<Decision?> FindSendAsync(NpgsqlConnection connection, string group, byte[] sendKey,
        CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync(
            """
            SELECT epoch, message_id, message, recipients, welcome, welcome_recipients, expires_at, stamps
            FROM group_sends WHERE group_id = $1 AND send_key = $2
            """,
            [group, sendKey],
            r => (Epoch: (ulong)r.GetInt64(0),
                Pending: r.IsDBNull(2) ? null : new PendingFanout(group, sendKey, (ulong)r.GetInt64(0), r.GetString(1), (byte[])r[2],
                    (string[])r[3], r.IsDBNull(4) ? null : (byte[])r[4], r.IsDBNull(5) ? [] : (string[])r[5], r.GetInt64(6),
                    r.IsDBNull(7) ? null : (byte[][])r[7])),
            cancellationToken);
        if (rows.Count == 0)
        {
            return null;
        }
        return new Decision(new SubmissionOutcome.Accepted(rows[0].Epoch, [], Repeated: true), rows[0].Pending, true);
    }

    /// <summary>The roster as of one statement (header and members from the same snapshot).</summary>
    /// <remarks>Application messages, the bulk of the traffic, need neither the epoch's context nor the leaves' keys
    /// (<paramref name="withKeys"/> false).</remarks>
    internal static async Task<GroupRoster?> LoadAsync(NpgsqlConnection connection, GroupId id, bool withKeys, CancellationToken cancellationToken,
        bool withDeliveryKeys = false)
    {
        var rows = await connection.QueryAsync(
            (withKeys
                ? "SELECT g.cipher_suite, g.epoch, m.leaf_index, m.device_id, m.signature_key, g.group_context, g.interim_hash"
                : "SELECT g.cipher_suite, g.epoch, m.leaf_index, m.device_id, NULL::bytea, NULL::bytea, NULL::bytea")
            + (withDeliveryKeys ? ", g.delivery_key, g.previous_delivery_key" : ", NULL::bytea, NULL::bytea")
            + " FROM groups g LEFT JOIN group_members m ON m.group_id = g.group_id WHERE g.group_id = $1",
            [id.Value],
            static r => ((ushort)r.GetInt32(0), (ulong)r.GetInt64(1), r.IsDBNull(2) ? (uint?)null : (uint)r.GetInt64(2),
                r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : (byte[])r[4], r.IsDBNull(5) ? null : (byte[])r[5],
                r.IsDBNull(6) ? null : (byte[])r[6], r.IsDBNull(7) ? null : (byte[])r[7], r.IsDBNull(8) ? null : (byte[])r[8]),
            cancellationToken);
        if (rows.Count == 0)
        {
            return null;
        }
        var members = rows.Where(r => r.Item3 is not null).ToDictionary(r => r.Item3!.Value, r => new DeviceId(r.Item4!));
        return new GroupRoster(id, rows[0].Item1, rows[0].Item2, members)
        {
            LeafKeys = rows.Where(r => r.Item3 is not null && r.Item5 is not null).ToDictionary(r => r.Item3!.Value, r => r.Item5!),
            State = GroupEpochState.FromStored(rows[0].Item6, rows[0].Item7),
            DeliveryKeys = (rows[0].Item8, rows[0].Item9),
        };
    }

    /// <summary>What the group half decided: an outcome to answer now, or a fan-out to run first.</summary>
    private sealed record Decision(SubmissionOutcome? Outcome, PendingFanout? Pending, bool Repeated);

    /// <summary>The facts the rules look up, read before deciding (the rules themselves are synchronous).</summary>
    private sealed class RuleContext : IGroupRuleContext
    {
        private readonly Dictionary<string, (Proposal Proposal, uint SenderLeaf)> _proposals;
        private readonly Dictionary<string, Device> _devices;

        private RuleContext(int maxMembers, Dictionary<string, (Proposal, uint)> proposals, Dictionary<string, Device> devices)
        {
            MaxMembers = maxMembers;
            _proposals = proposals;
            _devices = devices;
        }

        public int MaxMembers { get; }

        public Channels.ChannelRuleFacts? Channel { get; set; }

        public Device? FindDevice(DeviceId device) => _devices.GetValueOrDefault(device.Value);

        public (Proposal Proposal, uint SenderLeaf)? FindProposal(byte[] proposalRef)
            => _proposals.TryGetValue(Convert.ToHexString(proposalRef), out var found) ? found : null;

        /// <summary>Reads the group's proposals of this epoch (for commits by reference) and the devices the rules may
        /// look up (<see cref="GroupRules.DevicesToLookUp"/>).</summary>
        public static async Task<RuleContext> LoadAsync(NpgsqlConnection connection, GroupRoster roster, GroupSubmission submission,
            int maxMembers, CancellationToken cancellationToken)
        {
            var proposals = new Dictionary<string, (Proposal, uint)>(StringComparer.Ordinal);
            if (submission.Kind == GroupMessageKind.Commit && submission.PublicMessage?.Content.Commit is { } commit
                && commit.Proposals.Any(p => p.Proposal is null))
            {
                var stored = await connection.QueryAsync(
                    "SELECT proposal_ref, proposal, sender_leaf FROM group_proposals WHERE group_id = $1 AND epoch = $2",
                    [roster.Id.Value, (long)roster.Epoch],
                    static r => (Convert.ToHexString((byte[])r[0]), (byte[])r[1], (uint)r.GetInt64(2)), cancellationToken);
                foreach (var (reference, bytes, senderLeaf) in stored)
                {
                    proposals[reference] = (TlsReader.Decode(bytes, Proposal.Decode), senderLeaf);
                }
            }
            var lookUp = GroupRules.DevicesToLookUp(roster, submission,
                reference => proposals.TryGetValue(Convert.ToHexString(reference), out var found) ? found : null);
            var devices = lookUp.Count == 0
                ? []
                : (await connection.QueryAsync($"SELECT {SqlDeviceStore.Columns} FROM devices WHERE device_id = ANY($1)",
                    [lookUp.Select(d => d.Value).ToArray()], SqlDeviceStore.Map, cancellationToken)).ToDictionary(d => d.Id.Value);
            return new RuleContext(maxMembers, proposals, devices);
        }
    }
}
