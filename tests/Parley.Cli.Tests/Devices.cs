using Parley.Client;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Storage;

namespace Parley.Cli.Tests;

/// <summary>Client homes for the API-driven tests: each device in its own folder with its own encrypted store.</summary>
public sealed class Devices(ServerFixture fixture) : IDisposable
{
    public static readonly ParleyClientOptions Options = new() { KeyDerivation = StoreKeyDerivation.Minimal, KeyPackageTarget = 6, KeyPackageLowWater = 3 };

    private readonly List<ParleyClient> _open = [];

    public Uri Server => fixture.Server.Address;

    public string Home(string name) => Path.Combine(fixture.Root, name);

    /// <summary>A new account (with a unique name) whose first device lives in its own home.</summary>
    public async Task<ParleyClient> CreateAsync(string name, ParleyClientOptions? options = null)
    {
        string unique = name + Guid.NewGuid().ToString("N")[..6];
        var client = await ParleyClient.CreateAccountAsync(Home(unique), Cli.Passphrase, Server, unique, options ?? Options);
        _open.Add(client);
        return client;
    }

    /// <summary>Links a second device to <paramref name="first"/>'s account.</summary>
    public async Task<ParleyClient> LinkAsync(ParleyClient first, string name)
    {
        using var request = ParleyClient.BeginLink();
        string approval = first.ApproveDevice(request.Code);
        var client = await ParleyClient.CompleteLinkAsync(Home(first.Username + "-" + name), Cli.Passphrase, request, approval, Options);
        _open.Add(client);
        return client;
    }

    /// <summary>Closes a device (it goes offline).</summary>
    public void Close(ParleyClient client)
    {
        _open.Remove(client);
        client.Dispose();
    }

    /// <summary>Opens a closed device again.</summary>
    public ParleyClient Reopen(string home)
    {
        var client = ParleyClient.Open(home, Cli.Passphrase, Server, Options);
        _open.Add(client);
        return client;
    }

    /// <summary>The texts of a conversation's history on a device, oldest first.</summary>
    public static List<string> Texts(ParleyClient client, ConversationId conversation)
        => client.History(conversation, 1000).Where(m => m.Content is not null && m.Text is { Length: > 0 }).Select(m => m.Text!).ToList();

    public static List<string> Texts(ParleyClient client, string conversation)
        => client.FindConversation(conversation) is { } c ? Texts(client, c.Id) : [];

    public void Dispose()
    {
        foreach (var client in _open)
        {
            client.Dispose();
        }
    }
}
