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

/// <summary>What a Parley device puts in its leaves in one cipher suite: credential, capabilities, account binding. One
/// signature key serves every suite of the device (they all sign alike, docs/protocol.md, "Cipher suites").</summary>
public sealed class DeviceLeaf
{
    /// <summary>How long a key package stays valid.</summary>
    public static readonly TimeSpan KeyPackageLifetime = TimeSpan.FromDays(90);

    /// <summary>A leaf in <paramref name="suite"/>; <paramref name="suites"/> lists every suite the device publishes key
    /// packages for (its leaves advertise them all), <paramref name="suite"/> alone when not given.</summary>
    public DeviceLeaf(CipherSuite suite, string deviceId, SignatureKeyPair signatureKey, AccountBinding binding, IReadOnlyList<ushort>? suites = null)
    {
        Suite = suite ?? throw new ArgumentNullException(nameof(suite));
        DeviceId = deviceId ?? throw new ArgumentNullException(nameof(deviceId));
        SignatureKey = signatureKey ?? throw new ArgumentNullException(nameof(signatureKey));
        Binding = binding ?? throw new ArgumentNullException(nameof(binding));
        Suites = suites ?? [suite.Id];
        if (!Suites.Contains(suite.Id) || Suites.Any(id => !CipherSuite.TryGet(id, out var other) || !other.SignsLike(suite)))
        {
            throw new ArgumentException("A device's suites must include the leaf's and all sign like it.", nameof(suites));
        }
    }

    public CipherSuite Suite { get; }

    /// <summary>Every suite this device publishes key packages for, in order of preference for a new group.</summary>
    public IReadOnlyList<ushort> Suites { get; }

    /// <summary>The same device's leaf in <paramref name="suite"/>, one of <see cref="Suites"/>.</summary>
    public DeviceLeaf InSuite(ushort suite)
    {
        if (suite == Suite.Id)
        {
            return this;
        }
        if (!Suites.Contains(suite))
        {
            throw new ParleyClientException($"This device does not take part in MLS cipher suite {suite}.");
        }
        return new DeviceLeaf(CipherSuite.Get(suite), DeviceId, SignatureKey, Binding, Suites);
    }

    public string DeviceId { get; }

    public SignatureKeyPair SignatureKey { get; }

    public AccountBinding Binding { get; }

    /// <summary>The device's basic credential: the ASCII device id.</summary>
    public Credential Credential => Credential.Basic(Encoding.ASCII.GetBytes(DeviceId));

    /// <summary>Parley's capabilities: MLS 1.0, the device's suites, the AccountBinding and channel extensions, basic credentials.</summary>
    public Capabilities Capabilities => new([ProtocolVersion.Mls10], Suites, [AccountBinding.ExtensionType, Channels.ChannelExtension.ExtensionType], [], [CredentialType.Basic]);

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
