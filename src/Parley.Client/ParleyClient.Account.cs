// Parley server protocol v1: registering an account, adding (linking), listing and revoking devices,
// and keeping the device's key packages stocked (docs/device-linking.md).
using System.Security.Cryptography;
using Parley.Client.Accounts;
using Parley.Client.Groups;
using Parley.Client.Identity;
using Parley.Client.Network;
using Parley.Client.Storage;
using Parley.Content;
using Parley.Mls.Crypto;

namespace Parley.Client;

/// <summary>A device of this account as the server lists it.</summary>
/// <param name="DeviceId">The device id.</param>
/// <param name="Current">This device.</param>
/// <param name="Revoked">Revoked: refused by the server, removed from groups.</param>
/// <param name="CertificateValid">The device certificate verifies under the account identity key.</param>
public sealed record DeviceInfo(string DeviceId, bool Current, bool Revoked, bool CertificateValid);

public sealed partial class ParleyClient
{
    /// <summary>Creates an account <paramref name="username"/> on <paramref name="server"/> with this device as its
    /// first device, in a new store in <paramref name="home"/>, and publishes key packages.</summary>
    public static async Task<ParleyClient> CreateAccountAsync(string home, string passphrase, Uri server, string username,
        ParleyClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(home);
        ArgumentNullException.ThrowIfNull(passphrase);
        ArgumentNullException.ThrowIfNull(server);
        options ??= new ParleyClientOptions();
        username = CheckUsername(username);
        string path = StorePath(home);
        if (ClientStore.Exists(path))
        {
            throw new ParleyClientException(ClientError.HomeHasAccount, Path.GetFullPath(home),
                $"{Path.GetFullPath(home)} already holds a Parley account; use another home.", detail: "create");
        }
        var accountKey = AccountIdentityKey.Generate();
        var identity = DeviceIdentity.Create(username, server, options.Time, DefaultCipherSuite, accountKey);
        byte[] certificate;
        RegisterResponse registered;
        try
        {
            certificate = accountKey.Sign(AccountStatements.DeviceCertificate(username, DefaultCipherSuite, identity.DeviceSignaturePublicKey));
            using (var anonymous = new ParleyServerClient(server, null, options.HttpHandler))
            {
                byte[] challenge = await anonymous.GetChallengeAsync(cancellationToken).ConfigureAwait(false);
                byte[] proof = accountKey.Sign(AccountStatements.Register(challenge, username, accountKey.PublicKey, DefaultCipherSuite,
                    identity.DeviceSignaturePublicKey));
                try
                {
                    registered = await anonymous.RegisterAsync(new RegisterRequest(username, accountKey.PublicKey, challenge, proof,
                        new DeviceKey(DefaultCipherSuite, identity.DeviceSignaturePublicKey, certificate)), cancellationToken).ConfigureAwait(false);
                }
                catch (ServerProblemException e) when (e.Code == "username_taken")
                {
                    throw new ParleyClientException($"The name {username} is taken on {server}; choose another.", e);
                }
                catch (ServerProblemException e) when (e.Code == "username_confusable")
                {
                    throw new ParleyClientException(
                        $"The name {username} looks like a name already taken on {server} ('0' reads as 'o', '1' as 'l', 'm' as \"rn\"); choose another.", e);
                }
            }
        }
        catch
        {
            identity.Dispose();
            throw;
        }
        return await SaveNewDeviceAsync(path, passphrase, identity, registered.Credential, certificate, server, options, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Saves a device the server has just registered in a new store at <paramref name="path"/> and publishes
    /// its first key packages; on failure the identity is disposed and no store is left behind.</summary>
    private static async Task<ParleyClient> SaveNewDeviceAsync(string path, string passphrase, DeviceIdentity identity, string credential,
        byte[] certificate, Uri server, ParleyClientOptions options, CancellationToken cancellationToken)
    {
        ClientStore? store = null;
        DeviceIdentity? unsaved = identity;
        try
        {
            store = ClientStore.Create(path, passphrase, StoreOptions(options));
            using (var transaction = store.BeginTransaction())
            {
                transaction.SaveIdentity(identity);
                transaction.SetDeviceRegistration(credential, certificate);
                transaction.Commit();
            }
            unsaved = null;
            var client = new ParleyClient(store, server, options);
            store = null;
            try
            {
                await client.ReplenishKeyPackagesAsync(cancellationToken).ConfigureAwait(false);
                return client;
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }
        catch
        {
            unsaved?.Dispose();
            if (store is not null)
            {
                store.Dispose();
                DeleteStoreFiles(path);
            }
            throw;
        }
    }

    /// <summary>Starts linking a new device: show <see cref="DeviceLinkRequest.Code"/> to the account's existing
    /// device, which answers with an approval code for <see cref="CompleteLinkAsync"/>.</summary>
    public static DeviceLinkRequest BeginLink() => DeviceLinkRequest.Create();

    /// <summary>Finishes linking: opens the approval code, registers this new device with the account identity key
    /// it carries, stores everything in a new store in <paramref name="home"/> and publishes key packages. The
    /// account's other devices add this device to their conversations the next time they sync. When the approval
    /// carries history, <see cref="HasLinkHistory"/> is true: fetch it with <see cref="ReceiveLinkHistoryAsync"/> before
    /// the first sync.</summary>
    public static async Task<ParleyClient> CompleteLinkAsync(string home, string passphrase, DeviceLinkRequest request, string approvalCode,
        ParleyClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(home);
        ArgumentNullException.ThrowIfNull(passphrase);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(approvalCode);
        options ??= new ParleyClientOptions();
        string path = StorePath(home);
        if (ClientStore.Exists(path))
        {
            throw new ParleyClientException(ClientError.HomeHasAccount, Path.GetFullPath(home),
                $"{Path.GetFullPath(home)} already holds a Parley account; link into another home.", detail: "link");
        }
        var approval = request.Open(approvalCode);
        AccountIdentityKey accountKey;
        try
        {
            accountKey = AccountIdentityKey.Import(approval.IdentityPrivateKey);
        }
        catch
        {
            approval.History?.Wipe();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(approval.IdentityPrivateKey);
        }
        // The new device's identity owns the account key from here on.
        try
        {
            var client = await RegisterDeviceAsync(path, passphrase, approval.Username, approval.Server, accountKey, options, cancellationToken)
                .ConfigureAwait(false);
            client._pendingHistory = approval.History;
            return client;
        }
        catch
        {
            approval.History?.Wipe();
            throw;
        }
    }

    /// <summary>Registers a new device of the account <paramref name="username"/> with a certificate and a proof signed
    /// by <paramref name="accountKey"/>, then saves it in a new store at <paramref name="path"/>. The device's identity
    /// takes <paramref name="accountKey"/> over (and disposes it on failure).</summary>
    private static async Task<ParleyClient> RegisterDeviceAsync(string path, string passphrase, string username, Uri server,
        AccountIdentityKey accountKey, ParleyClientOptions options, CancellationToken cancellationToken)
    {
        var identity = DeviceIdentity.Create(username, server, options.Time, DefaultCipherSuite, accountKey);
        byte[] certificate;
        AddDeviceResponse added;
        try
        {
            certificate = accountKey.Sign(AccountStatements.DeviceCertificate(username, DefaultCipherSuite, identity.DeviceSignaturePublicKey));
            using (var anonymous = new ParleyServerClient(server, null, options.HttpHandler))
            {
                var account = await anonymous.GetChallengeAsync(cancellationToken).ConfigureAwait(false);
                byte[] proof = accountKey.Sign(AccountStatements.AddDevice(account, username, DefaultCipherSuite, identity.DeviceSignaturePublicKey));
                added = await anonymous.AddDeviceAsync(username, new AddDeviceRequest(account, proof,
                    new DeviceKey(DefaultCipherSuite, identity.DeviceSignaturePublicKey, certificate)), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            identity.Dispose();
            throw;
        }
        return await SaveNewDeviceAsync(path, passphrase, identity, added.Credential, certificate, server, options, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Approves a new device's link code without sending it any history: returns the approval code to type
    /// into the new device. It carries the account identity key, sealed to the link code's one-time key.
    /// <see cref="ApproveDeviceAsync"/> sends the history too.</summary>
    public string ApproveDevice(string linkCode) => SealApproval(LinkCode.Parse(linkCode), null);

    /// <summary>The account's devices as the server lists them, with each certificate checked.</summary>
    public async Task<IReadOnlyList<DeviceInfo>> ListDevicesAsync(CancellationToken cancellationToken = default)
    {
        var devices = await _server.ListDevicesAsync(cancellationToken).ConfigureAwait(false);
        var identity = Identity;
        return devices.Select(d => new DeviceInfo(d.DeviceId, d.DeviceId == identity.DeviceId, d.Revoked,
            AccountIdentityKey.Verify(identity.AccountIdentityPublicKey, AccountStatements.DeviceCertificate(identity.AccountName, d.CipherSuite, d.SignatureKey),
                d.Certificate))).ToList();
    }

    /// <summary>Revokes one of the account's devices (by id or a unique prefix of it), then removes it from every
    /// conversation this device is in.</summary>
    public async Task<string> RevokeDeviceAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        var accountKey = Identity.AccountKey ?? throw new ParleyClientException("This device does not hold the account key, so it cannot revoke devices.");
        var devices = await _server.ListDevicesAsync(cancellationToken).ConfigureAwait(false);
        var matches = devices.Where(d => d.DeviceId.StartsWith(deviceId.ToLowerInvariant(), StringComparison.Ordinal)).ToList();
        if (matches.Count != 1)
        {
            throw matches.Count == 0
                ? new ParleyClientException(ClientError.DeviceNotFound, null, $"This account has no device {deviceId}.", detail: deviceId)
                : new ParleyClientException($"Several devices start with {deviceId}; give more of the id.");
        }
        string id = matches[0].DeviceId;
        if (id == DeviceId)
        {
            throw new ParleyClientException("This is the device you are using; revoke it from another device.");
        }
        if (!matches[0].Revoked)
        {
            byte[] challenge = await _server.GetChallengeAsync(cancellationToken).ConfigureAwait(false);
            byte[] proof = accountKey.Sign(AccountStatements.RevokeDevice(challenge, Username, id));
            await _server.RevokeDeviceAsync(id, new RevokeDeviceRequest(challenge, proof), cancellationToken).ConfigureAwait(false);
            ObserveDevices(devices.Select(d => (d.DeviceId, d.Revoked)), null);
            ObserveDevices(devices.Select(d => (d.DeviceId, d.Revoked || d.DeviceId == id)), null);
        }
        await ReconcileOwnDevicesAsync(cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>Uploads fresh key packages, in each suite the device publishes for (<see cref="ParleyClientOptions.PostQuantum"/>),
    /// when fewer than <see cref="ParleyClientOptions.KeyPackageLowWater"/> remain on the server in that suite (and a
    /// last-resort package when there is none). Returns how many were uploaded.</summary>
    public async Task<int> ReplenishKeyPackagesAsync(CancellationToken cancellationToken = default)
    {
        int uploaded = 0;
        foreach (ushort suite in _leaf.Suites)
        {
            uploaded += await ReplenishKeyPackagesAsync(_leaf.InSuite(suite), cancellationToken).ConfigureAwait(false);
        }
        return uploaded;
    }

    private async Task<int> ReplenishKeyPackagesAsync(DeviceLeaf leaf, CancellationToken cancellationToken)
    {
        var count = await _server.CountKeyPackagesAsync(leaf.Suite.Id, cancellationToken).ConfigureAwait(false);
        if (count.Count >= _options.KeyPackageLowWater && count.LastResort)
        {
            return 0;
        }
        int wanted = Math.Max(0, _options.KeyPackageTarget - count.Count);
        var packages = Enumerable.Range(0, wanted).Select(_ => leaf.NewKeyPackage(Now)).ToList();
        var lastResort = count.LastResort ? null : leaf.NewKeyPackage(Now, lastResort: true);
        // Keep the private keys before publishing, so a Welcome for any published package can be opened.
        using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var p in packages)
            {
                transaction.AddKeyPackage(p.Ref, p.Message, p.InitPrivateKey, p.EncryptionPrivateKey);
            }
            if (lastResort is not null)
            {
                transaction.AddKeyPackage(lastResort.Ref, lastResort.Message, lastResort.InitPrivateKey, lastResort.EncryptionPrivateKey, lastResort: true);
            }
            transaction.Commit();
        }
        foreach (var p in packages.Append(lastResort))
        {
            if (p is not null)
            {
                CryptographicOperations.ZeroMemory(p.InitPrivateKey);
                CryptographicOperations.ZeroMemory(p.EncryptionPrivateKey);
            }
        }
        await _server.UploadKeyPackagesAsync(new UploadKeyPackagesRequest(packages.Select(p => p.Message).ToList(), lastResort?.Message),
            cancellationToken).ConfigureAwait(false);
        return packages.Count + (lastResort is null ? 0 : 1);
    }

    /// <summary>Checks a user name as the server does (<see cref="UsernameProfile"/>: 3-32 of a-z 0-9 _ . -, ASCII
    /// upper case folded to lower, nothing else) and returns its canonical form; surrounding white space is ignored.</summary>
    public static string CheckUsername(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        if (!UsernameProfile.TryCanonicalize(username.Trim(), out string? name))
        {
            throw new ParleyClientException($"'{username}' is not a valid user name: use {UsernameProfile.Rule}.");
        }
        return name;
    }
}

/// <summary>A new device's pending link: its one-time HPKE key pair and the link code to show.</summary>
public sealed class DeviceLinkRequest : IDisposable
{
    private readonly byte[] _privateKey;

    private DeviceLinkRequest(LinkCode code, byte[] privateKey)
    {
        LinkCode = code;
        _privateKey = privateKey;
    }

    /// <summary>The link code to show (starts with <c>PL1.</c>).</summary>
    public string Code => LinkCode.ToString();

    internal LinkCode LinkCode { get; }

    internal static DeviceLinkRequest Create()
    {
        var pair = CipherSuite.Get(1).Hpke.GenerateKeyPair();
        return new DeviceLinkRequest(new LinkCode(pair.PublicKey), pair.PrivateKey);
    }

    internal LinkApproval Open(string approvalCode) => LinkApproval.Open(approvalCode, LinkCode, _privateKey);

    public void Dispose() => CryptographicOperations.ZeroMemory(_privateKey);

    public override string ToString() => "DeviceLinkRequest";
}
