// RFC 9420 §7.2 (leaf node contents) and §10 (key packages), as a Parley device fills them in: a basic
// credential naming the device id (docs/server-protocol.md), Parley's capabilities, and the
// AccountBinding extension.
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Client.Groups;

/// <summary>A key package this device generated, with the private keys it must keep until the
/// package is used (the bytes are secret; store them encrypted).</summary>
/// <param name="Ref">The KeyPackageRef a Welcome names it by.</param>
/// <param name="Message">The MLSMessage to upload.</param>
/// <param name="InitPrivateKey">The HPKE init private key.</param>
/// <param name="EncryptionPrivateKey">The leaf's HPKE encryption private key.</param>
public sealed record GeneratedKeyPackage(byte[] Ref, byte[] Message, byte[] InitPrivateKey, byte[] EncryptionPrivateKey)
{
    public override string ToString() => $"GeneratedKeyPackage({Convert.ToHexString(Ref)[..16]})";
}

/// <summary>What a Parley device puts in its leaves: credential, capabilities, account binding.</summary>
public sealed class DeviceLeaf
{
    /// <summary>How long a key package stays valid.</summary>
    public static readonly TimeSpan KeyPackageLifetime = TimeSpan.FromDays(90);

    public DeviceLeaf(CipherSuite suite, string deviceId, SignatureKeyPair signatureKey, AccountBinding binding)
    {
        Suite = suite ?? throw new ArgumentNullException(nameof(suite));
        DeviceId = deviceId ?? throw new ArgumentNullException(nameof(deviceId));
        SignatureKey = signatureKey ?? throw new ArgumentNullException(nameof(signatureKey));
        Binding = binding ?? throw new ArgumentNullException(nameof(binding));
    }

    public CipherSuite Suite { get; }

    public string DeviceId { get; }

    public SignatureKeyPair SignatureKey { get; }

    public AccountBinding Binding { get; }

    /// <summary>The device's basic credential: the ASCII device id.</summary>
    public Credential Credential => Credential.Basic(Encoding.ASCII.GetBytes(DeviceId));

    /// <summary>Parley's capabilities: MLS 1.0, this suite, the AccountBinding and channel extensions, basic credentials.</summary>
    public Capabilities Capabilities => new([ProtocolVersion.Mls10], [Suite.Id], [AccountBinding.ExtensionType, Channels.ChannelExtension.ExtensionType], [], [CredentialType.Basic]);

    /// <summary>The leaf extensions: the account binding.</summary>
    public IReadOnlyList<Extension> LeafExtensions => [Binding.ToExtension()];

    /// <summary>A fresh key package valid from an hour ago (clock skew) for <see cref="KeyPackageLifetime"/>. A
    /// <paramref name="lastResort"/> package carries the last_resort extension (listed in its leaf's capabilities, as
    /// RFC 9420 §10.1 has adders check): the server hands it out, and this device accepts Welcomes for it, any number
    /// of times, until the device uploads the next one (RFC 9420 §16.8).</summary>
    public GeneratedKeyPackage NewKeyPackage(DateTimeOffset now, bool lastResort = false)
    {
        var lifetime = new Lifetime((ulong)now.AddHours(-1).ToUnixTimeSeconds(), (ulong)(now + KeyPackageLifetime).ToUnixTimeSeconds());
        HpkeKeyPair init = Suite.Hpke.GenerateKeyPair();
        HpkeKeyPair leafKey = Suite.Hpke.GenerateKeyPair();
        Capabilities capabilities = lastResort ? Capabilities with { Extensions = [.. Capabilities.Extensions, ExtensionType.LastResort] } : Capabilities;
        var leaf = new LeafNode(leafKey.PublicKey, SignatureKey.PublicKey, Credential, capabilities, LeafNodeSource.KeyPackage,
            lifetime, null, LeafExtensions, []).Sign(Suite, SignatureKey.PrivateKey);
        IReadOnlyList<Extension> extensions = lastResort ? [new Extension(ExtensionType.LastResort, [])] : [];
        var keyPackage = new KeyPackage(ProtocolVersion.Mls10, Suite.Id, init.PublicKey, leaf, extensions, []).Sign(Suite, SignatureKey.PrivateKey);
        return new GeneratedKeyPackage(keyPackage.Ref(Suite), new MlsMessage(keyPackage).ToBytes(), init.PrivateKey, leafKey.PrivateKey);
    }

    /// <summary>The bundle MLS needs to join from a Welcome, rebuilt from a stored key package.</summary>
    public KeyPackageBundle Bundle(GeneratedKeyPackage stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var keyPackage = MlsMessage.Decode(stored.Message).KeyPackage ?? throw new CryptographicException("A stored key package is not a key package.");
        return KeyPackageBundle.FromPrivateKeys(keyPackage, stored.InitPrivateKey, stored.EncryptionPrivateKey, SignatureKey.PrivateKey);
    }

    /// <summary>Creates a new group (epoch 0) with this device as its only member.</summary>
    public MlsGroup CreateGroup(byte[] groupId, MlsGroupOptions options)
        => MlsGroup.Create(Suite, groupId, Credential, SignatureKey, options: options, capabilities: Capabilities, leafExtensions: LeafExtensions);
}
