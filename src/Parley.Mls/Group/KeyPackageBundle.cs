// RFC 9420 §10 (key packages) and §10.1 (KeyPackage validation).
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;

namespace Parley.Mls.Group;

/// <summary>A signed KeyPackage together with its private keys: the init key (which decrypts the
/// Welcome), the leaf encryption key and the signature key. The private keys are zeroed on
/// <see cref="Dispose"/> and never printed.</summary>
public sealed class KeyPackageBundle : IDisposable
{
    private readonly byte[] _initPrivateKey;
    private readonly byte[] _encryptionPrivateKey;
    private readonly byte[] _signaturePrivateKey;
    private byte[]? _ref;
    private bool _disposed;

    // Takes ownership of the private key arrays.
    private KeyPackageBundle(CipherSuite suite, KeyPackage keyPackage, byte[] initPrivateKey, byte[] encryptionPrivateKey, byte[] signaturePrivateKey)
    {
        Suite = suite;
        KeyPackage = keyPackage;
        _initPrivateKey = initPrivateKey;
        _encryptionPrivateKey = encryptionPrivateKey;
        _signaturePrivateKey = signaturePrivateKey;
    }

    /// <summary>The cipher suite of the key package.</summary>
    public CipherSuite Suite { get; }

    /// <summary>The public, signed key package to publish.</summary>
    public KeyPackage KeyPackage { get; }

    /// <summary>KeyPackageRef: the identifier a Welcome uses to address this key package.</summary>
    public byte[] Ref => (byte[])(_ref ??= KeyPackage.Ref(Suite)).Clone();

    internal ReadOnlySpan<byte> InitPrivateKey => Live(_initPrivateKey);

    internal ReadOnlySpan<byte> EncryptionPrivateKey => Live(_encryptionPrivateKey);

    internal ReadOnlySpan<byte> SignaturePrivateKey => Live(_signaturePrivateKey);

    /// <summary>The capabilities Parley advertises: MLS 1.0, the given suite, and basic and X.509 credentials.
    /// Default extension and proposal types are not listed (RFC 9420 §7.2).</summary>
    public static Capabilities DefaultCapabilities(CipherSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return new Capabilities(
            [ProtocolVersion.Mls10],
            [suite.Id],
            [],
            [],
            [CredentialType.Basic, CredentialType.X509]);
    }

    /// <summary>Creates a key package with fresh init and leaf encryption key pairs, signed with
    /// <paramref name="signatureKeyPair"/>. The library has no clock: the caller gives the lifetime
    /// (seconds since the Unix epoch).</summary>
    public static KeyPackageBundle Create(
        CipherSuite suite,
        Credential credential,
        SignatureKeyPair signatureKeyPair,
        Lifetime lifetime,
        Capabilities? capabilities = null,
        IReadOnlyList<Extension>? leafExtensions = null,
        IReadOnlyList<Extension>? keyPackageExtensions = null)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(signatureKeyPair);
        ArgumentNullException.ThrowIfNull(lifetime);
        if (lifetime.NotAfter < lifetime.NotBefore)
        {
            throw new ArgumentException("The lifetime ends before it begins.", nameof(lifetime));
        }
        capabilities ??= DefaultCapabilities(suite);
        var init = suite.Hpke.GenerateKeyPair();
        var leaf = suite.Hpke.GenerateKeyPair();
        var leafNode = new LeafNode(
            leaf.PublicKey,
            signatureKeyPair.PublicKey,
            credential,
            capabilities,
            LeafNodeSource.KeyPackage,
            lifetime,
            null,
            leafExtensions ?? [],
            []).Sign(suite, signatureKeyPair.PrivateKey);
        var keyPackage = new KeyPackage(
            ProtocolVersion.Mls10,
            suite.Id,
            init.PublicKey,
            leafNode,
            keyPackageExtensions ?? [],
            []).Sign(suite, signatureKeyPair.PrivateKey);
        return new KeyPackageBundle(suite, keyPackage, init.PrivateKey, leaf.PrivateKey, (byte[])signatureKeyPair.PrivateKey.Clone());
    }

    /// <summary>Wraps an existing key package and its private keys (copied), checking that each
    /// private key belongs to the matching public key.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.KeyPackagePrivateKeyMismatch"/></exception>
    public static KeyPackageBundle FromPrivateKeys(KeyPackage keyPackage, ReadOnlySpan<byte> initPrivateKey,
        ReadOnlySpan<byte> encryptionPrivateKey, ReadOnlySpan<byte> signaturePrivateKey)
    {
        ArgumentNullException.ThrowIfNull(keyPackage);
        var suite = CipherSuite.Get(keyPackage.CipherSuite);
        if (!CipherSuite.FixedTimeEquals(suite.Hpke.PublicKeyFromPrivate(initPrivateKey), keyPackage.InitKey))
        {
            throw new MlsProtocolException(MlsError.KeyPackagePrivateKeyMismatch, "The init private key does not match the key package's init key.");
        }
        if (!CipherSuite.FixedTimeEquals(suite.Hpke.PublicKeyFromPrivate(encryptionPrivateKey), keyPackage.LeafNode.EncryptionKey))
        {
            throw new MlsProtocolException(MlsError.KeyPackagePrivateKeyMismatch, "The encryption private key does not match the leaf node's encryption key.");
        }
        if (!CipherSuite.FixedTimeEquals(suite.SignaturePublicKey(signaturePrivateKey), keyPackage.LeafNode.SignatureKey))
        {
            throw new MlsProtocolException(MlsError.KeyPackagePrivateKeyMismatch, "The signature private key does not match the leaf node's signature key.");
        }
        return new KeyPackageBundle(suite, keyPackage, initPrivateKey.ToArray(), encryptionPrivateKey.ToArray(), signaturePrivateKey.ToArray());
    }

    /// <summary>A bundle holding only the init private key: enough to decrypt a Welcome's GroupSecrets
    /// and GroupInfo, not to join (the test vectors of RFC 9420's welcome.json give no other keys).</summary>
    internal static KeyPackageBundle ForWelcomeDecryption(KeyPackage keyPackage, ReadOnlySpan<byte> initPrivateKey)
    {
        ArgumentNullException.ThrowIfNull(keyPackage);
        var suite = CipherSuite.Get(keyPackage.CipherSuite);
        if (!CipherSuite.FixedTimeEquals(suite.Hpke.PublicKeyFromPrivate(initPrivateKey), keyPackage.InitKey))
        {
            throw new MlsProtocolException(MlsError.KeyPackagePrivateKeyMismatch, "The init private key does not match the key package's init key.");
        }
        return new KeyPackageBundle(suite, keyPackage, initPrivateKey.ToArray(), [], []);
    }

    /// <summary>The key package wrapped in an MLSMessage, ready to publish.</summary>
    public byte[] ToMessageBytes() => new MlsMessage(KeyPackage).ToBytes();

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        CryptographicOperations.ZeroMemory(_initPrivateKey);
        CryptographicOperations.ZeroMemory(_encryptionPrivateKey);
        CryptographicOperations.ZeroMemory(_signaturePrivateKey);
    }

    public override string ToString() => $"KeyPackageBundle(suite {Suite.Id})";

    private ReadOnlySpan<byte> Live(byte[] key)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return key;
    }
}
