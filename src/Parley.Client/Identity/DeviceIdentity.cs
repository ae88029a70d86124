// Who this device is: its account, its MLS signature key, its server and its credential there.
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;

namespace Parley.Client.Identity;

/// <summary>This device's identity: the account name, the device's MLS signature key pair and derived device
/// id, the server, the device credential token once registered, and the account identity key when this device
/// holds it. Owns its secrets and wipes them on <see cref="Dispose"/>; none of them prints.</summary>
public sealed class DeviceIdentity : IDisposable
{
    private readonly SignatureKeyPair _signatureKey;
    private bool _disposed;

    internal DeviceIdentity(string accountName, Uri serverUrl, ushort cipherSuite, SignatureKeyPair signatureKey,
        byte[] accountIdentityPublicKey, AccountIdentityKey? accountKey, string? credentialToken, byte[]? deviceCertificate, DateTimeOffset createdAt)
    {
        AccountName = accountName;
        ServerUrl = serverUrl;
        CipherSuite = cipherSuite;
        _signatureKey = signatureKey;
        AccountIdentityPublicKey = accountIdentityPublicKey;
        AccountKey = accountKey;
        CredentialToken = credentialToken;
        DeviceCertificate = deviceCertificate;
        CreatedAt = createdAt;
        DeviceId = DeriveDeviceId(signatureKey.PublicKey);
    }

    /// <summary>The account's user name (lower case).</summary>
    public string AccountName { get; }

    /// <summary>32 lowercase hex digits: the first 16 bytes of SHA-256 over the device's MLS signature public key.</summary>
    public string DeviceId { get; }

    /// <summary>The server this device is registered with.</summary>
    public Uri ServerUrl { get; }

    /// <summary>The MLS cipher suite of the device's key packages and groups.</summary>
    public ushort CipherSuite { get; }

    /// <summary>The device's MLS signature public key.</summary>
    public byte[] DeviceSignaturePublicKey => _signatureKey.PublicKey;

    /// <summary>The account identity public key (Ed25519).</summary>
    public byte[] AccountIdentityPublicKey { get; }

    /// <summary>The account identity key pair, when this device holds it (null on devices added later
    /// whose key was not transferred).</summary>
    public AccountIdentityKey? AccountKey { get; }

    /// <summary>The device credential token the server issued at registration (secret), or null before.</summary>
    public string? CredentialToken { get; internal set; }

    /// <summary>The account key's signature over this device's key ("Parley device v1"), or null before.</summary>
    public byte[]? DeviceCertificate { get; internal set; }

    /// <summary>When this identity was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The device's MLS credential: a basic credential whose identity is the ASCII device id.</summary>
    public Credential MlsCredential => Credential.Basic(Encoding.ASCII.GetBytes(DeviceId));

    /// <summary>The device's MLS signature key pair, for MLS operations inside the client.</summary>
    internal SignatureKeyPair SignatureKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _signatureKey;
        }
    }

    /// <summary>Creates a new device identity with a fresh MLS signature key for <paramref name="cipherSuite"/>.
    /// Give the account key on the account's first device; later devices pass only its public key.</summary>
    public static DeviceIdentity Create(string accountName, Uri serverUrl, TimeProvider time, ushort cipherSuite = 1,
        AccountIdentityKey? accountKey = null, byte[]? accountIdentityPublicKey = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountName);
        ArgumentNullException.ThrowIfNull(serverUrl);
        ArgumentNullException.ThrowIfNull(time);
        byte[] accountPublic = accountKey?.PublicKey ?? accountIdentityPublicKey
            ?? throw new ArgumentException("Give the account identity key or, for a later device, its public key.", nameof(accountIdentityPublicKey));
        if (accountPublic.Length != AccountIdentityKey.PublicKeySize)
        {
            throw new ArgumentException("An account identity public key is 32 bytes.", nameof(accountIdentityPublicKey));
        }
        var suite = Parley.Mls.Crypto.CipherSuite.Get(cipherSuite);
        return new DeviceIdentity(accountName.ToLowerInvariant(), serverUrl, cipherSuite, suite.GenerateSignatureKeyPair(),
            (byte[])accountPublic.Clone(), accountKey, null, null, time.GetUtcNow());
    }

    /// <summary>The device id of an MLS signature public key.</summary>
    public static string DeriveDeviceId(ReadOnlySpan<byte> signaturePublicKey)
        => Convert.ToHexStringLower(SHA256.HashData(signaturePublicKey).AsSpan(0, 16));

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        CryptographicOperations.ZeroMemory(_signatureKey.PrivateKey);
        AccountKey?.Dispose();
    }

    public override string ToString() => $"DeviceIdentity({AccountName}, device {DeviceId})";
}
