// Parley server protocol v1 (docs/server-protocol.md), "POST /v1/challenges" and "POST /v1/accounts": a device
// registered the way ParleyClient registers one (account identity key, device certificate, signed challenge), but
// without a local store, so thousands of them fit in one process.
using Parley.Client.Groups;
using Parley.Client.Identity;
using Parley.Client.Network;
using Parley.Mls.Crypto;

namespace Parley.Load;

/// <summary>A registered device: its credential, its MLS leaf (credential, key, account binding) and a client for
/// the node it talks to (sharing one connection pool with every other device).</summary>
internal sealed class ProtocolDevice : IDisposable
{
    private ProtocolDevice(int index, string username, string deviceId, string credential, Uri node, DeviceLeaf? leaf, ParleyServerClient? server)
    {
        Index = index;
        Username = username;
        DeviceId = deviceId;
        Credential = credential;
        Node = node;
        Leaf = leaf;
        Server = server;
    }

    public int Index { get; }

    public string Username { get; }

    public string DeviceId { get; }

    /// <summary>{deviceId}.{token}, as the Authorization header carries it.</summary>
    public string Credential { get; }

    public Uri Node { get; }

    /// <summary>The device's MLS leaf; null when registered with <c>keepKeys: false</c>.</summary>
    public DeviceLeaf? Leaf { get; }

    /// <summary>An authenticated client; null when registered with <c>keepKeys: false</c>.</summary>
    public ParleyServerClient? Server { get; }

    /// <summary>Registers account <paramref name="username"/> with one device on <paramref name="node"/>.
    /// Without <paramref name="keepKeys"/> only the credential is kept (idle connections need nothing else).</summary>
    public static async Task<ProtocolDevice> RegisterAsync(int index, string username, Uri node, HttpMessageHandler handler, bool keepKeys,
        CancellationToken cancellationToken)
    {
        const ushort suiteId = 1;
        CipherSuite suite = CipherSuite.Get(suiteId);
        using var accountKey = AccountIdentityKey.Generate();
        SignatureKeyPair signature = suite.GenerateSignatureKeyPair();
        string deviceId = DeviceIdentity.DeriveDeviceId(signature.PublicKey);
        byte[] certificate = accountKey.Sign(AccountStatements.DeviceCertificate(username, suiteId, signature.PublicKey));
        RegisterResponse registered;
        using (var anonymous = new ParleyServerClient(node, null, handler))
        {
            byte[] challenge = await anonymous.GetChallengeAsync(cancellationToken);
            byte[] proof = accountKey.Sign(AccountStatements.Register(challenge, username, accountKey.PublicKey, suiteId, signature.PublicKey));
            registered = await anonymous.RegisterAsync(new RegisterRequest(username, accountKey.PublicKey, challenge, proof,
                new DeviceKey(suiteId, signature.PublicKey, certificate)), cancellationToken);
        }
        return keepKeys
            ? new ProtocolDevice(index, username, deviceId, registered.Credential, node,
                new DeviceLeaf(suite, deviceId, signature, new AccountBinding(username, certificate)),
                new ParleyServerClient(node, registered.Credential, handler))
            : new ProtocolDevice(index, username, deviceId, registered.Credential, node, null, null);
    }

    /// <summary>Registers <paramref name="count"/> devices named {prefix}-{i}, <paramref name="parallel"/> at a time,
    /// reporting progress every 10 %.</summary>
    public static async Task<ProtocolDevice[]> RegisterManyAsync(int count, string prefix, Func<int, Uri> nodeFor, HttpMessageHandler handler,
        bool keepKeys, int parallel, CancellationToken cancellationToken)
    {
        var devices = new ProtocolDevice[count];
        int done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                devices[i] = await RegisterAsync(i, $"{prefix}-{i}", nodeFor(i), handler, keepKeys, ct);
                int n = Interlocked.Increment(ref done);
                if (count >= 1000 && n % (count / 10) == 0)
                {
                    Console.Error.WriteLine($"  registered {n:N0} of {count:N0}");
                }
            });
        return devices;
    }

    /// <summary>A shared HTTP handler for many devices (one connection pool).</summary>
    public static SocketsHttpHandler SharedHandler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        MaxConnectionsPerServer = 256,
    };

    public void Dispose() => Server?.Dispose();
}
