using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Parley.Client;
using Parley.Client.Identity;
using Parley.Client.Sync;

namespace Parley.Cli.Tests;

/// <summary>Identity pinning: a contact's identity key that changes (here, a server that substitutes it) is refused.</summary>
public sealed class IdentityTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly Devices _devices = new(fixture);

    [Fact]
    public async Task A_changed_identity_key_is_refused_until_the_user_accepts_it()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var chat = await alice.OpenDirectAsync(bob.Username);
        await alice.SendTextAsync(chat.Id, "pinned you");
        var (_, before) = await alice.GetSafetyNumberAsync(bob.Username);
        var (_, theirs) = await bob.GetSafetyNumberAsync(alice.Username);
        Assert.Equal(before.Digits, theirs.Digits);

        // The server (or someone in the middle) now answers with another identity key for bob.
        string home = _devices.Home(alice.Username);
        _devices.Close(alice);
        using var substitute = new KeySubstitution(bob.Username);
        alice = ParleyClient.Open(home, Cli.Passphrase, fixture.Server.Address, Devices.Options with { HttpHandler = substitute });
        using var view = alice.Subscribe();
        try
        {
            await Assert.ThrowsAsync<IdentityKeyChangedException>(() => alice.GetSafetyNumberAsync(bob.Username));
            await Assert.ThrowsAsync<IdentityKeyChangedException>(() => alice.CreateGroupAsync("trap", [bob.Username]));
            Assert.Null(alice.FindConversation("trap"));
            var contact = alice.Store.GetContact(bob.Username)!;
            Assert.True(contact.IdentityChanged);

            // Accepting the new key (after comparing the new safety number) lets it through, with a new number.
            alice.AcceptIdentityKeyChange(bob.Username);
            var (_, after) = await alice.GetSafetyNumberAsync(bob.Username);
            Assert.NotEqual(before.Digits, after.Digits);

            // A view was told once about the new key (the second look saw the same one), and once it was accepted.
            var told = new List<ClientEvent>();
            while (view.Reader.TryRead(out var e))
            {
                told.Add(e);
            }
            var changed = Assert.Single(told.OfType<IdentityKeyChanged>());
            Assert.Equal(bob.Username, changed.Contact.Username);
            Assert.True(changed.Contact.IdentityChanged);
            var accepted = Assert.Single(told.OfType<ContactUpdated>());
            Assert.Equal("key accepted", accepted.Change);
            Assert.False(accepted.Contact.IdentityChanged);
        }
        finally
        {
            alice.Dispose();
        }
    }

    public void Dispose() => _devices.Dispose();

    /// <summary>Rewrites the directory's answer for one user with a fresh identity key.</summary>
    private sealed class KeySubstitution(string username) : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly byte[] _fake = AccountIdentityKey.Generate().PublicKey;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath == $"/v1/accounts/{username}" && response.IsSuccessStatusCode)
            {
                var body = (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!;
                body["identityKey"] = Convert.ToBase64String(_fake);
                response.Content = JsonContent.Create(body);
            }
            return response;
        }
    }
}
