using System.Text.Json;
using Microsoft.Data.Sqlite;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Cli.Tests;

/// <summary>Sealed sending from the real <c>parley</c> binary (docs/protocol.md, "Sealed sending"): 1:1 chats and groups work,
/// the sender's own echoes are silent, and the server's send records name no device.</summary>
public sealed class SealedSendingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private string Home(string name) => Path.Combine(fixture.Root, "sealed-" + name);

    private Task<CliResult> Run(string home, params string[] args)
        => Cli.RunAsync(["--home", Home(home), "--server", fixture.Server.Address.ToString(), .. args], null);

    private static string Unique(string name) => name + Guid.NewGuid().ToString("N")[..6];

    [Fact]
    public async Task A_chat_and_a_group_go_sealed_and_the_servers_send_records_name_no_device()
    {
        string alice = Unique("alice"), bob = Unique("bob");
        Assert.Equal(0, (await Run(alice, "account", "create", alice)).ExitCode);
        Assert.Equal(0, (await Run(bob, "account", "create", bob)).ExitCode);

        Assert.Equal(0, (await Run(alice, "send", bob, "sealed hello")).ExitCode);
        Assert.Equal(["sealed hello"], Texts(await Run(bob, "receive", "--json")));
        Assert.Equal(0, (await Run(bob, "send", alice, "sealed reply")).ExitCode);
        Assert.Equal(0, (await Run(alice, "group", "create", "sealers", "--members", bob)).ExitCode);
        Assert.Equal(0, (await Run(alice, "send", "sealers", "sealed group hello")).ExitCode);

        // Alice's own sealed messages came back to her device as echoes; she sees only what Bob sent.
        Assert.Equal(["sealed reply"], Texts(await Run(alice, "receive", "--json")));
        Assert.Equal(["sealed group hello"], Texts(await Run(bob, "receive", "--json")));
        Assert.Empty(Texts(await Run(bob, "receive", "--json")));

        var messages = MessageIds(await Run(alice, "history", bob, "--json"))
            .Concat(MessageIds(await Run(alice, "history", "sealers", "--json"))).ToList();
        Assert.True(messages.Count >= 3, string.Join(", ", messages));
        using var database = new SqliteConnection(
            $"Data Source={Path.Combine(fixture.Server.DataDirectory, "parley.db")};Mode=ReadOnly;Pooling=False");
        database.Open();
        var sendKeys = Column(database, "SELECT send_key FROM accepted_sends").Select(Convert.ToHexString).ToHashSet();
        var devices = Column(database, "SELECT device_id FROM devices").Select(d => new DeviceId(System.Text.Encoding.ASCII.GetString(d))).ToList();
        foreach (var (id, conversation) in messages)
        {
            GroupId group = GroupId.FromBytes(Convert.FromHexString(conversation));
            Assert.Contains(Convert.ToHexString(GroupSubmission.SealedSendKeyOf(group, id)), sendKeys);
            Assert.All(devices, device => Assert.DoesNotContain(Convert.ToHexString(GroupSubmission.SendKeyOf(device, id)), sendKeys));
        }
    }

    [Fact]
    public async Task Against_a_server_without_sealed_sending_messages_go_authenticated()
    {
        using var root = new TempDirectory();
        await using var server = await ServerProcess.StartAsync(root.Sub("server"), "--Parley:SealedSending", "false");
        Task<CliResult> On(string home, params string[] args)
            => Cli.RunAsync(["--home", root.Sub(home), "--server", server.Address.ToString(), .. args], null);
        string alice = Unique("alice"), bob = Unique("bob");
        Assert.Equal(0, (await On(alice, "account", "create", alice)).ExitCode);
        Assert.Equal(0, (await On(bob, "account", "create", bob)).ExitCode);

        var sent = await On(alice, "send", bob, "authenticated hello");

        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.Equal(["authenticated hello"], Texts(await On(bob, "receive", "--json")));
    }

    private static List<string?> Texts(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return Cli.Json(result).EnumerateArray().Where(m => m.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            .Select(m => m.GetProperty("text").GetString()).ToList();
    }

    private static List<(string Id, string Conversation)> MessageIds(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return Cli.Json(result).EnumerateArray()
            .Select(m => (m.GetProperty("id").GetString()!, m.GetProperty("conversationId").GetString()!)).ToList();
    }

    private static List<byte[]> Column(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<byte[]>();
        while (reader.Read())
        {
            values.Add(reader[0] is string text ? System.Text.Encoding.ASCII.GetBytes(text) : (byte[])reader[0]);
        }
        return values;
    }
}
