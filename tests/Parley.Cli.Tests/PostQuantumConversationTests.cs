using System.Text.Json;
using Parley.Client;
using Parley.Client.Storage;

namespace Parley.Cli.Tests;

/// <summary>The post-quantum default (docs/protocol.md, "Cipher suites"): devices publish key packages in suites 1 and 83, a
/// new conversation uses 83 (X-Wing) when every member device has a package in it and suite 1 otherwise, and the command
/// line shows which.</summary>
public sealed class PostQuantumConversationTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private static readonly ParleyClientOptions ClassicOnly = new()
    {
        KeyDerivation = StoreKeyDerivation.Minimal, KeyPackageTarget = 6, KeyPackageLowWater = 3, PostQuantum = false,
    };

    private readonly Devices _devices = new(fixture);

    [Fact]
    public async Task Two_new_accounts_chat_one_to_one_and_in_a_group_on_the_post_quantum_suite()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var carol = await _devices.CreateAsync("carol");

        var chat = await alice.OpenDirectAsync(bob.Username);
        await alice.SendTextAsync(chat.Id, "hello over X-Wing");
        await bob.SyncAsync();
        var bobsChat = bob.GetConversation(alice.Username);
        await bob.SendTextAsync(bobsChat.Id, "and back");
        await alice.SyncAsync();

        Assert.Equal(ParleyClient.PostQuantumCipherSuite, alice.SuiteOf(chat.Id));
        Assert.Equal(ParleyClient.PostQuantumCipherSuite, bob.SuiteOf(bobsChat.Id));
        Assert.Equal(["hello over X-Wing", "and back"], Devices.Texts(bob, bobsChat.Id));
        Assert.Equal(["hello over X-Wing", "and back"], Devices.Texts(alice, chat.Id));

        var group = await alice.CreateGroupAsync("quantum", [bob.Username, carol.Username]);
        await alice.SendTextAsync(group.Id, "hello group");
        await bob.SyncAsync();
        await carol.SyncAsync();
        var carolsGroup = carol.GetConversation("quantum");
        await carol.SendTextAsync(carolsGroup.Id, "carol here");
        await alice.SyncAsync();
        await bob.SyncAsync();

        Assert.Equal(ParleyClient.PostQuantumCipherSuite, alice.SuiteOf(group.Id));
        Assert.Equal(ParleyClient.PostQuantumCipherSuite, carol.SuiteOf(carolsGroup.Id));
        Assert.Equal(["hello group", "carol here"], Devices.Texts(alice, group.Id));
        Assert.Equal(["hello group", "carol here"], Devices.Texts(bob, "quantum"));
    }

    [Fact]
    public async Task A_group_with_a_device_that_has_only_suite_1_key_packages_falls_back_to_suite_1()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var carol = await _devices.CreateAsync("carol", ClassicOnly);
        var quantum = await alice.CreateGroupAsync("quantum", [bob.Username]);

        var mixed = await alice.CreateGroupAsync("mixed", [bob.Username, carol.Username]);
        await alice.SendTextAsync(mixed.Id, "everyone can read this");
        await carol.SyncAsync();
        var carolsGroup = carol.GetConversation("mixed");
        await carol.SendTextAsync(carolsGroup.Id, "so can I");
        await bob.SyncAsync();
        var refused = await Assert.ThrowsAsync<ParleyClientException>(() => alice.AddMembersAsync(quantum.Id, [carol.Username]));

        Assert.Equal(ParleyClient.PostQuantumCipherSuite, alice.SuiteOf(quantum.Id));
        Assert.Equal(ParleyClient.DefaultCipherSuite, alice.SuiteOf(mixed.Id));
        Assert.Equal(ParleyClient.DefaultCipherSuite, carol.SuiteOf(carolsGroup.Id));
        Assert.Equal(["everyone can read this", "so can I"], Devices.Texts(bob, "mixed"));
        Assert.Contains("cipher suite 83", refused.Message, StringComparison.Ordinal);
        // A 1:1 chat between the two post-quantum accounts still uses suite 83: the choice is per conversation.
        Assert.Equal(ParleyClient.PostQuantumCipherSuite, alice.SuiteOf((await alice.OpenDirectAsync(bob.Username)).Id));
    }

    [Fact]
    public async Task Group_list_and_suites_show_the_suite_of_each_conversation()
    {
        using var root = new TempDirectory();
        Task<CliResult> On(string home, params string[] args)
            => Cli.RunAsync(["--home", root.Sub(home), "--server", fixture.Server.Address.ToString(), .. args], null);
        string alice = "alice" + Guid.NewGuid().ToString("N")[..6], bob = "bob" + Guid.NewGuid().ToString("N")[..6];
        Assert.Equal(0, (await On(alice, "account", "create", alice)).ExitCode);
        Assert.Equal(0, (await On(bob, "account", "create", bob)).ExitCode);
        Assert.Equal(0, (await On(alice, "send", bob, "hello")).ExitCode);

        var listed = await On(alice, "group", "list", "--json");
        var table = await On(alice, "group", "list");
        var suites = await Cli.RunAsync("suites");

        Assert.True(listed.ExitCode == 0, listed.ToString());
        var chat = Assert.Single(JsonDocument.Parse(listed.Output).RootElement.EnumerateArray());
        Assert.Equal((83, true), (chat.GetProperty("cipherSuite").GetInt32(), chat.GetProperty("postQuantum").GetBoolean()));
        Assert.Contains($"MLS cipher suites: 83 (post-quantum) for {bob}.", table.Error, StringComparison.Ordinal);
        Assert.Contains("[new conversations when every member device has key packages in it]", suites.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _devices.Dispose();
}
