using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Parley.Mls.Crypto;
using Parley.Server.Accounts;
using Parley.Server.Devices;

namespace Parley.Server.Tests;

/// <summary>A device as a client holds it: its MLS signature key pair, id and server credential.</summary>
public sealed class TestDevice(TestUser user, SignatureKeyPair signatureKey, string credential, HttpClient client, string? id = null)
{
    public TestUser User { get; } = user;

    public SignatureKeyPair SignatureKey { get; } = signatureKey;

    /// <summary>The device id; for a subscriber queue (<see cref="Queue"/>), the queue's id.</summary>
    public string Id => id ?? DeviceId.FromSignatureKey(SignatureKey.PublicKey).Value;

    /// <summary>True for a subscriber queue, which authenticates with <c>Authorization: Queue {token}</c>.</summary>
    public bool IsQueue => id is not null;

    /// <summary>A channel subscriber queue of this account's person: a fresh random credential sent as
    /// <c>Authorization: Queue {token}</c>, its id derived from it (docs/channels.md, "Subscriber queues"). Its
    /// <see cref="SignatureKey"/> is the pseudonym's key the subscriber's leaf will carry.</summary>
    public static TestDevice Queue(ITestServer server, TestUser owner)
    {
        byte[] token = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        string credential = System.Buffers.Text.Base64Url.EncodeToString(token);
        HttpClient client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Queue", credential);
        return new TestDevice(owner, TestUser.Suite.GenerateSignatureKeyPair(), credential, client,
            Parley.Server.Channels.SubscriberQueue.IdOf(token).Value);
    }

    public string Credential { get; } = credential;

    /// <summary>An HTTP client authenticated as this device.</summary>
    public HttpClient Client { get; } = client;

    /// <summary>A fresh signed key package for this device (MLSMessage bytes), in suite 1 unless given.</summary>
    public byte[] NewKeyPackage(ulong notBefore = 0, ulong notAfter = ulong.MaxValue, bool lastResort = false, ushort cipherSuite = 1)
        => TestMls.KeyPackage(Id, SignatureKey, notBefore, notAfter, lastResort, cipherSuite);

    public async Task UploadKeyPackagesAsync(int count, bool lastResort = false, ushort cipherSuite = 1)
    {
        var request = new
        {
            keyPackages = Enumerable.Range(0, count).Select(_ => NewKeyPackage(cipherSuite: cipherSuite)).ToArray(),
            lastResort = lastResort ? NewKeyPackage(lastResort: true, cipherSuite: cipherSuite) : null,
        };
        using var response = await Client.PostAsJsonAsync("/v1/keypackages", request);
        await TestHttp.EnsureAsync(response);
    }
}

/// <summary>An account as a client holds it: the identity key pair and its devices.</summary>
public sealed class TestUser
{
    public static readonly CipherSuite Suite = CipherSuite.Get(1);

    private TestUser(string username, SignatureKeyPair identity)
    {
        Username = username;
        Identity = identity;
    }

    public string Username { get; }

    /// <summary>A user with a fresh identity key, not yet registered.</summary>
    public static TestUser Create(string? username = null)
        => new(username ?? "u" + Guid.NewGuid().ToString("N")[..12], Suite.GenerateSignatureKeyPair());

    public SignatureKeyPair Identity { get; }

    public List<TestDevice> Devices { get; } = [];

    public TestDevice Device => Devices[0];

    /// <summary>Registers <paramref name="username"/> (random if null) with a first device.</summary>
    public static async Task<TestUser> RegisterAsync(ITestServer server, string? username = null)
    {
        TestUser user = Create(username);
        SignatureKeyPair deviceKey = Suite.GenerateSignatureKeyPair();
        using HttpClient anonymous = server.CreateClient();
        byte[] challenge = await TestHttp.ChallengeAsync(anonymous);
        object body = user.RegistrationBody(challenge, deviceKey);
        using var response = await anonymous.PostAsJsonAsync("/v1/accounts", body);
        await TestHttp.EnsureAsync(response);
        var registered = (await response.Content.ReadFromJsonAsync<RegisterResponse>(TestHttp.Json))!;
        user.Devices.Add(new TestDevice(user, deviceKey, registered.Credential, TestHttp.Authenticated(server, registered.Credential)));
        return user;
    }

    /// <summary>Adds another device, signed by the identity key.</summary>
    public async Task<TestDevice> AddDeviceAsync(ITestServer server)
    {
        SignatureKeyPair deviceKey = Suite.GenerateSignatureKeyPair();
        using HttpClient anonymous = server.CreateClient();
        byte[] challenge = await TestHttp.ChallengeAsync(anonymous);
        using var response = await anonymous.PostAsJsonAsync($"/v1/accounts/{Username}/devices", AddDeviceBody(challenge, deviceKey));
        await TestHttp.EnsureAsync(response);
        var added = (await response.Content.ReadFromJsonAsync<AddDeviceResponse>(TestHttp.Json))!;
        var device = new TestDevice(this, deviceKey, added.Credential, TestHttp.Authenticated(server, added.Credential));
        Devices.Add(device);
        return device;
    }

    public object RegistrationBody(byte[] challenge, SignatureKeyPair deviceKey, byte[]? signingKey = null)
    {
        byte[] proof = AccountSignatures.Register(challenge, Username.ToLowerInvariant(), Identity.PublicKey, 1, deviceKey.PublicKey);
        return new
        {
            username = Username,
            identityKey = Identity.PublicKey,
            challenge,
            signature = AccountSignatures.Sign(signingKey ?? Identity.PrivateKey, proof),
            device = DeviceKey(deviceKey, signingKey),
        };
    }

    public object AddDeviceBody(byte[] challenge, SignatureKeyPair deviceKey, byte[]? signingKey = null)
    {
        byte[] proof = AccountSignatures.AddDevice(challenge, Username.ToLowerInvariant(), 1, deviceKey.PublicKey);
        return new
        {
            challenge,
            signature = AccountSignatures.Sign(signingKey ?? Identity.PrivateKey, proof),
            device = DeviceKey(deviceKey, signingKey),
        };
    }

    public object RevokeBody(byte[] challenge, string deviceId)
        => new
        {
            challenge,
            signature = AccountSignatures.Sign(Identity.PrivateKey,
                AccountSignatures.RevokeDevice(challenge, Username.ToLowerInvariant(), deviceId)),
        };

    private object DeviceKey(SignatureKeyPair deviceKey, byte[]? signingKey)
        => new
        {
            cipherSuite = 1,
            signatureKey = deviceKey.PublicKey,
            certificate = AccountSignatures.Sign(signingKey ?? Identity.PrivateKey,
                AccountSignatures.DeviceCertificate(Username.ToLowerInvariant(), 1, deviceKey.PublicKey)),
        };
}

/// <summary>HTTP helpers for the tests.</summary>
public static class TestHttp
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static HttpClient Authenticated(ITestServer server, string credential)
    {
        HttpClient client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        return client;
    }

    public static async Task<byte[]> ChallengeAsync(HttpClient client)
    {
        using var response = await client.PostAsync("/v1/challenges", null);
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<ChallengeResponse>(Json))!.Challenge;
    }

    /// <summary>Throws with the problem body when the response is not a success.</summary>
    public static async Task EnsureAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            string body = await response.Content.ReadAsStringAsync();
            throw new HttpRequestException($"{(int)response.StatusCode}: {body}");
        }
    }

    /// <summary>Reads a problem details response and returns its status and code.</summary>
    public static async Task<(int Status, string Code, JsonElement Body)> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
        return ((int)response.StatusCode, body.GetProperty("code").GetString()!, body);
    }

    public static StringContent RawJson(string json) => new(json, Encoding.UTF8, "application/json");
}
