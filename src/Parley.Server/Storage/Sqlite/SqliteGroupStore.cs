using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Franking;
using Parley.Server.Groups;

using Parley.Server.Storage.Shared;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Group rosters and group delivery in SQLite. A submission's check, roster change and
/// mailbox copies happen in one write, so the commit ordering rule holds under any concurrency.</summary>
internal sealed class SqliteGroupStore(SqliteDatabase database, SqlEngine engine, IOptions<ParleyServerOptions> options,
    FrankingStamper stamper) : IGroupStore
{
    public Task<CreateGroupOutcome> CreateAsync(GroupId id, ushort cipherSuite, DeviceId creator, GroupGenesis? genesis,
        CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            int inserted = connection.Execute(
                """
                INSERT OR IGNORE INTO groups (group_id, cipher_suite, epoch, group_context, interim_hash, delivery_key)
                VALUES ($g, $s, 0, $c, $i, $k)
                """,
                ("$g", id.Value), ("$s", (int)cipherSuite), ("$c", genesis?.State.ContextBytes()), ("$i", genesis?.State.InterimTranscriptHash),
                ("$k", genesis?.DeliveryKey));
            if (inserted == 0)
            {
                return CreateGroupOutcome.AlreadyExists;
            }
            connection.Execute("INSERT INTO group_members (group_id, leaf_index, device_id, signature_key) VALUES ($g, 0, $d, $k)",
                ("$g", id.Value), ("$d", creator.Value), ("$k", genesis?.CreatorKey));
            return CreateGroupOutcome.Created;
        }, cancellationToken);

    public Task<GroupRoster?> FindAsync(GroupId id, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        return Task.FromResult(Load(connection, id, withKeys: false));
    }

    public Task<SubmissionOutcome> SubmitAsync(GroupSubmission submission, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection => Submit(connection, submission), cancellationToken);

    private SubmissionOutcome Submit(SqliteConnection connection, GroupSubmission submission)
    {
        byte[] sendKey = submission.SendKey;
        object? earlierEpoch = connection.Scalar("SELECT epoch FROM accepted_sends WHERE send_key = $k", ("$k", sendKey));
        if (earlierEpoch is long epoch)
        {
            return new SubmissionOutcome.Accepted((ulong)epoch, [], Repeated: true);
        }
        GroupRoster? roster = Load(connection, submission.GroupId, withKeys: submission.Kind != GroupMessageKind.Application,
            withDeliveryKeys: submission.Sealed);
        if (roster is null)
        {
            return new SubmissionOutcome.GroupNotFound();
        }
        var context = new RuleContext(connection, roster, options.Value.MaxGroupMembers);
        context.Channel = SqliteChannelRules.LoadRuleFacts(connection, roster, submission, context.FindProposal, database.Time.GetUtcNow(),
            options.Value.MaxChannelMembers);
        var (decision, rejection) = GroupRules.Decide(roster, submission, context);
        if (rejection is not null)
        {
            return rejection;
        }
        GroupDecision d = decision!;
        string group = submission.GroupId.Value;

        if (submission.Kind == GroupMessageKind.Commit)
        {
            // A commit without a GroupInfo to a group the server holds no context for leaves it without one.
            connection.Execute(
                """
                UPDATE groups SET epoch = $e, group_context = $c, interim_hash = $i, previous_delivery_key = delivery_key, delivery_key = $k
                WHERE group_id = $g
                """,
                ("$e", (long)d.Epoch), ("$c", d.NextState?.ContextBytes()), ("$i", d.NextState?.InterimTranscriptHash),
                ("$k", submission.NextDeliveryKey), ("$g", group));
            SqliteSqlEngine.Finished(SqlGroupRoster.ApplyCommitAsync(new Db(engine, connection, CancellationToken.None), group,
                RosterChange.Between(roster, d)));
            if (d.Channel is { } channelEffects)
            {
                SqliteChannelRules.ApplyCommit(connection, submission.GroupId, channelEffects);
            }
            if (context.Channel is not null)
            {
                SqliteChannelRules.SaveGroupInfo(connection, submission.GroupId, d.Epoch, submission.GroupInfo);
            }
        }
        else if (d.ProposalRef is not null)
        {
            connection.Execute(
                """
                INSERT OR IGNORE INTO group_proposals (group_id, proposal_ref, epoch, sender_leaf, proposal)
                VALUES ($g, $r, $e, $l, $p)
                """,
                ("$g", group), ("$r", d.ProposalRef), ("$e", (long)roster.Epoch), ("$l", (long)d.SenderLeaf),
                ("$p", submission.PublicMessage!.Content.Proposal!.ToBytes()));
        }

        long expiresAt = Sql.UnixSeconds(submission.ExpiresAt);
        // Blocking and franking stamps are decided here, in the same write as the copies (docs/safety.md). A sealed send has no
        // sender account: in a 1:1 with a block, the blocker's devices get nothing sealed (BlockRule.ApplySealed).
        AccountId? senderAccount = submission.Sealed ? null : SqliteBlockLookups.AccountOf(connection, submission.Sender);
        var (messageRecipients, welcomeRecipients) = submission.Sealed
            ? (SqliteBlockLookups.WithholdSealed(connection, roster, d.MessageRecipients, options.Value.MaxDevicesPerAccount), d.WelcomeRecipients)
            : SqliteBlockLookups.Withhold(connection, roster, submission.Kind, senderAccount, d.MessageRecipients, d.WelcomeRecipients);
        var stamps = stamper.StampsFor(submission, senderAccount, messageRecipients, database.Time.GetUtcNow());
        var recipients = new List<DeviceId>();
        recipients.AddRange(SqliteMailboxStore.Enqueue(connection, messageRecipients, submission.MessageId, submission.Message, expiresAt,
            stamps));
        if (submission.Welcome is not null && welcomeRecipients.Count > 0)
        {
            recipients.AddRange(SqliteMailboxStore.Enqueue(connection, welcomeRecipients, submission.MessageId, submission.Welcome, expiresAt));
        }
        connection.Execute("INSERT INTO accepted_sends (send_key, epoch, expires_at) VALUES ($k, $e, $x)",
            ("$k", sendKey), ("$e", (long)d.Epoch), ("$x", expiresAt));
        return new SubmissionOutcome.Accepted(d.Epoch, recipients, Repeated: false);
    }

    // Application messages, the bulk of the traffic, need neither the epoch's context nor the leaves' keys (withKeys false).
    private static GroupRoster? Load(SqliteConnection connection, GroupId id, bool withKeys, bool withDeliveryKeys = false)
    {
        var header = connection.Query(
            (withKeys ? "SELECT cipher_suite, epoch, group_context, interim_hash" : "SELECT cipher_suite, epoch, NULL, NULL")
            + (withDeliveryKeys ? ", delivery_key, previous_delivery_key" : ", NULL, NULL") + " FROM groups WHERE group_id = $g",
            static r => ((ushort)r.GetInt32(0), (ulong)r.GetInt64(1), r.IsDBNull(2) ? null : (byte[])r[2], r.IsDBNull(3) ? null : (byte[])r[3],
                r.IsDBNull(4) ? null : (byte[])r[4], r.IsDBNull(5) ? null : (byte[])r[5]),
            ("$g", id.Value));
        if (header.Count == 0)
        {
            return null;
        }
        var members = connection.Query(
            withKeys
                ? "SELECT leaf_index, device_id, signature_key FROM group_members WHERE group_id = $g ORDER BY leaf_index"
                : "SELECT leaf_index, device_id, NULL FROM group_members WHERE group_id = $g ORDER BY leaf_index",
            static r => ((uint)r.GetInt64(0), new DeviceId(r.GetString(1)), r.IsDBNull(2) ? null : (byte[])r[2]), ("$g", id.Value));
        return new GroupRoster(id, header[0].Item1, header[0].Item2, members.ToDictionary(m => m.Item1, m => m.Item2))
        {
            LeafKeys = members.Where(m => m.Item3 is not null).ToDictionary(m => m.Item1, m => m.Item3!),
            State = GroupEpochState.FromStored(header[0].Item3, header[0].Item4),
            DeliveryKeys = (header[0].Item5, header[0].Item6),
        };
    }

    private sealed class RuleContext(SqliteConnection connection, GroupRoster roster, int maxMembers) : IGroupRuleContext
    {
        public int MaxMembers => maxMembers;

        public Channels.ChannelRuleFacts? Channel { get; set; }

        public Device? FindDevice(DeviceId device)
            => connection.Query($"SELECT {SqlDeviceStore.Columns} FROM devices WHERE device_id = $d", SqlDeviceStore.Map,
                ("$d", device.Value)).FirstOrDefault();

        public (Proposal Proposal, uint SenderLeaf)? FindProposal(byte[] proposalRef)
        {
            var rows = connection.Query(
                "SELECT proposal, sender_leaf FROM group_proposals WHERE group_id = $g AND proposal_ref = $r AND epoch = $e",
                static r => ((byte[])r[0], (uint)r.GetInt64(1)),
                ("$g", roster.Id.Value), ("$r", proposalRef), ("$e", (long)roster.Epoch));
            if (rows.Count == 0)
            {
                return null;
            }
            return (TlsReader.Decode(rows[0].Item1, Proposal.Decode), rows[0].Item2);
        }
    }
}
