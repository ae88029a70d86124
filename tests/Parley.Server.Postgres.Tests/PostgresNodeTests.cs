using Npgsql;
using Parley.Content;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.KeyPackages;
using Parley.Server.Mailboxes;
using Parley.Server.Storage.Postgres;
using Parley.Server.Tests;

namespace Parley.Server.Postgres.Tests;

/// <summary>What only a shared database has to get right: several nodes (here, several engines over
/// one PostgreSQL database, each with its own pool and writer) deciding on the same rows.</summary>
public sealed class PostgresNodeTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;

    private StoreEngine _first = null!;
    private StoreEngine _second = null!;

    public async Task InitializeAsync()
    {
        _first = await StoreEngine.PostgresAsync();
        _second = _first.OpenAnotherNode();
    }

    public async Task DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
    }

    [Fact]
    public async Task Two_nodes_racing_commits_for_one_epoch_accept_exactly_one()
    {
        StoreDevice alice = await _first.RegisterAsync(), bob = await _first.RegisterAsync();
        GroupId group = await _first.CreateGroupAsync(alice);
        StoreFixtures.Accepted(await _first.AddMembersAsync(group, alice, 0, 0, bob));
        for (ulong epoch = 1; epoch <= 10; epoch++)
        {
            ulong at = epoch;
            Task<SubmissionOutcome> onFirst = Task.Run(() => _first.Groups.SubmitAsync(
                _first.Commit(group, alice, TestMls.Commit(StoreFixtures.Bytes(group), at, 0)), None));
            Task<SubmissionOutcome> onSecond = Task.Run(() => _second.Groups.SubmitAsync(
                _second.Commit(group, bob, TestMls.Commit(StoreFixtures.Bytes(group), at, 1)), None));
            SubmissionOutcome[] outcomes = await Task.WhenAll(onFirst, onSecond);
            Assert.Single(outcomes.OfType<SubmissionOutcome.Accepted>());
            var loser = Assert.Single(outcomes.OfType<SubmissionOutcome.Rejected>());
            Assert.Equal(RejectionReason.StaleEpoch, loser.Reason);
            Assert.Equal(epoch + 1, loser.CurrentEpoch);
        }
        Assert.Equal(11UL, (await _second.Groups.FindAsync(group, None))!.Epoch);
    }

    [Fact]
    public async Task A_challenge_issued_on_one_node_is_redeemed_once_across_nodes()
    {
        byte[] challenge = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        await _first.Challenges.AddAsync(challenge, _first.Clock.GetUtcNow() + TimeSpan.FromMinutes(5), None);
        bool[] redeemed = await Task.WhenAll(
            Task.Run(() => _first.Challenges.TryRedeemAsync(challenge, _first.Clock.GetUtcNow(), None)),
            Task.Run(() => _second.Challenges.TryRedeemAsync(challenge, _second.Clock.GetUtcNow(), None)),
            Task.Run(() => _second.Challenges.TryRedeemAsync(challenge, _second.Clock.GetUtcNow(), None)));
        Assert.Single(redeemed, r => r);
    }

    [Fact]
    public async Task Two_nodes_claiming_at_once_never_hand_out_the_same_key_package()
    {
        StoreDevice bob = await _first.RegisterAsync();
        StoreDevice laptop = await _first.AddDeviceAsync(bob.Account);
        foreach (StoreDevice device in new[] { bob, laptop })
        {
            Assert.True(await _first.KeyPackages.AddAsync(device.Id, Enumerable.Range(0, 15).Select(_ => device.KeyPackage(Later)).ToList(),
                device.KeyPackage(Later), 100, None));
        }
        var claims = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() =>
            (i % 2 == 0 ? _first : _second).KeyPackages.ClaimAsync(bob.Account, null, 1, _first.Clock.GetUtcNow(), takeOneTime: true, None))));
        foreach (StoreDevice device in new[] { bob, laptop })
        {
            var taken = claims.Select(c => Assert.Single(c, k => k.DeviceId == device.Id)).ToList();
            var oneTime = taken.Where(k => !k.LastResort).Select(k => Convert.ToHexString(k.Data)).ToList();
            Assert.Equal(15, oneTime.Count);
            Assert.Equal(15, oneTime.Distinct().Count());
            Assert.Equal(5, taken.Count(k => k.LastResort));
        }
    }

    [Fact]
    public async Task Two_nodes_counting_claims_of_one_account_share_its_window()
    {
        StoreDevice bob = await _first.RegisterAsync();
        DateTimeOffset now = _first.Clock.GetUtcNow();
        ClaimWindow[] windows = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() =>
            (i % 2 == 0 ? _first : _second).KeyPackages.CountClaimAsync(bob.Account, now, TimeSpan.FromHours(1), None))));
        Assert.Equal(Enumerable.Range(1, 20), windows.Select(w => w.Claims).Order());
        Assert.Single(windows.Select(w => w.Ends).Distinct());
    }

    [Fact]
    public async Task A_reader_misses_nothing_while_two_nodes_fan_out_to_its_mailbox()
    {
        StoreDevice alice = await _first.RegisterAsync(), bob = await _first.RegisterAsync(), carol = await _first.RegisterAsync();
        GroupId group = await _first.CreateGroupAsync(alice);
        StoreFixtures.Accepted(await _first.AddMembersAsync(group, alice, 0, 0, bob, carol));
        const int PerNode = 60;
        using var done = new CancellationTokenSource();
        var seen = new List<string>();
        Task reader = Task.Run(async () =>
        {
            long after = 0;
            while (true)
            {
                bool finished = done.IsCancellationRequested;
                var page = await _second.Mailboxes.ReadAsync(bob.Id, after, 7, _second.Clock.GetUtcNow(), None);
                foreach (MailboxMessage message in page)
                {
                    seen.Add(message.Id);
                    after = message.Sequence;
                }
                if (page.Count == 0)
                {
                    if (finished)
                    {
                        return;
                    }
                    await Task.Delay(1);
                }
            }
        });
        await Task.WhenAll(
            Task.Run(() => Task.WhenAll(Enumerable.Range(0, PerNode).Select(i =>
                _first.Groups.SubmitAsync(_first.Application(group, alice, 1, $"a{i}"), None)))),
            Task.Run(() => Task.WhenAll(Enumerable.Range(0, PerNode).Select(i =>
                _second.Groups.SubmitAsync(_second.Application(group, carol, 1, $"c{i}"), None)))));
        await done.CancelAsync();
        await reader;
        Assert.Equal(2 * PerNode + 1, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public async Task An_interrupted_fan_out_is_finished_by_recovery_and_never_delivers_a_copy_twice()
    {
        StoreDevice alice = await _first.RegisterAsync(), bob = await _first.RegisterAsync(), carol = await _first.RegisterAsync();
        GroupId group = await _first.CreateGroupAsync(alice);
        StoreFixtures.Accepted(await _first.AddMembersAsync(group, alice, 0, 0, bob, carol));
        StoreFixtures.Accepted(await _first.Groups.SubmitAsync(_first.Application(group, alice, 1, "interrupted"), None));
        Assert.True(await _first.Mailboxes.AcknowledgeAsync(bob.Id, "interrupted", None));
        await WaitUntilAsync(async () => (long)(await ScalarAsync("SELECT count(*) FROM group_sends WHERE message IS NOT NULL"))! == 0);

        // As if the accepting node died after recording the send and before carol's copy was written
        // (bob had already read and acknowledged his): the send is pending again and carol has nothing.
        await ScalarAsync(
            """
            UPDATE group_sends SET recipients = ARRAY[$1, $2], accepted_at = 0, message_id = 'interrupted',
                message = (SELECT payload FROM mailbox WHERE device_id = $2 AND message_id = 'interrupted')
            WHERE send_key = $3
            """, bob.Id.Value, carol.Id.Value, GroupSubmission.SendKeyOf(alice.Id, "interrupted"));
        await ScalarAsync("DELETE FROM mailbox WHERE device_id = $1 AND message_id = 'interrupted'", carol.Id.Value);
        Assert.DoesNotContain("interrupted", (await ReadAsync(carol)).Select(m => m.Id));

        var recovery = _second.Get<PostgresFanoutRecovery>();
        Assert.Equal(1, await recovery.RecoverAsync(_second.Clock.GetUtcNow(), None));
        Assert.Equal(0, await recovery.RecoverAsync(_second.Clock.GetUtcNow(), None));

        Assert.Single(await ReadAsync(carol), m => m.Id == "interrupted");
        Assert.DoesNotContain("interrupted", (await ReadAsync(bob)).Select(m => m.Id));
    }

    [Fact]
    public async Task The_schema_is_migrated_once_and_a_database_from_a_newer_server_is_refused()
    {
        Assert.Equal(PostgresSchemaVersion, (int)(await ScalarAsync("SELECT max(version) FROM schema_version"))!);
        Assert.Equal(1L, (long)(await ScalarAsync("SELECT count(*) FROM schema_version"))!);
        await ScalarAsync("UPDATE schema_version SET version = 999");
        var failure = Assert.ThrowsAny<Exception>(() => _first.OpenAnotherNode());
        Assert.Contains("newer", failure.ToString(), StringComparison.Ordinal);
        await ScalarAsync($"UPDATE schema_version SET version = {PostgresSchemaVersion}");
    }

    [Fact]
    public async Task The_skeleton_the_migration_computes_in_sql_is_the_username_profiles()
    {
        foreach (string name in SkeletonSamples)
        {
            Assert.Equal(UsernameProfile.Skeleton(name), await ScalarAsync($"SELECT {Username.SkeletonSql("$1")}", name));
        }
    }

    /// <summary>Names with every confusable character of the profile, alone, repeated and side by side.</summary>
    private static readonly string[] SkeletonSamples = ["bob", "b0b", "paypa1", "mallory", "rnallory", "m0m1", "mm00m11m", "a_1.0-m"];

    private static int PostgresSchemaVersion => PostgresSchema.Version;

    private DateTimeOffset Later => _first.Clock.GetUtcNow() + TimeSpan.FromDays(90);

    private Task<IReadOnlyList<MailboxMessage>> ReadAsync(StoreDevice device)
        => _first.Mailboxes.ReadAsync(device.Id, 0, 500, _first.Clock.GetUtcNow(), None);

    private async Task<object?> ScalarAsync(string sql, params object[] arguments)
    {
        await using var connection = new NpgsqlConnection(_first.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (object argument in arguments)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = argument });
        }
        object? value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (int i = 0; i < 200 && !await condition(); i++)
        {
            await Task.Delay(25);
        }
        Assert.True(await condition());
    }
}
