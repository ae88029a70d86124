using System.Security.Cryptography;
using System.Text;
using Parley.Client.Groups;
using Parley.Client.Identity;
using Parley.Client.Network;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Xunit;

namespace Parley.Client.Tests;

/// <summary>Real MLS groups (Parley.Mls) for the store's transactional tests.</summary>
public static class TestMls
{
    public static readonly CipherSuite Suite = CipherSuite.Get(1);

    /// <summary>A key package with the private keys a device keeps (init and leaf encryption key).</summary>
    public static (KeyPackage KeyPackage, byte[] InitPrivateKey, byte[] EncryptionPrivateKey) NewKeyPackage(string deviceId, SignatureKeyPair signature)
    {
        var init = Suite.Hpke.GenerateKeyPair();
        var leafKey = Suite.Hpke.GenerateKeyPair();
        var leaf = new LeafNode(leafKey.PublicKey, signature.PublicKey, Credential.Basic(Encoding.ASCII.GetBytes(deviceId)),
            KeyPackageBundle.DefaultCapabilities(Suite), LeafNodeSource.KeyPackage, new Lifetime(0, ulong.MaxValue), null, [], [])
            .Sign(Suite, signature.PrivateKey);
        var keyPackage = new KeyPackage(ProtocolVersion.Mls10, Suite.Id, init.PublicKey, leaf, [], []).Sign(Suite, signature.PrivateKey);
        return (keyPackage, init.PrivateKey, leafKey.PrivateKey);
    }

    /// <summary>A Parley device of <paramref name="username"/>: a fresh signature key certified by a fresh account key.</summary>
    public static DeviceLeaf NewDevice(string username)
    {
        using var account = AccountIdentityKey.Generate();
        var signature = Suite.GenerateSignatureKeyPair();
        byte[] certificate = account.Sign(AccountStatements.DeviceCertificate(username, 1, signature.PublicKey));
        return new DeviceLeaf(Suite, DeviceIdentity.DeriveDeviceId(signature.PublicKey), signature, new AccountBinding(username, certificate));
    }

    /// <summary>Alice creates a group and adds Bob; returns both members' groups.</summary>
    public static (MlsGroup Alice, MlsGroup Bob) TwoMemberGroup()
    {
        var aliceKey = Suite.GenerateSignatureKeyPair();
        var bobKey = Suite.GenerateSignatureKeyPair();
        var alice = MlsGroup.Create(Suite, RandomNumberGenerator.GetBytes(16), Credential.Basic("aa"u8.ToArray()), aliceKey);
        using var bobPackage = KeyPackageBundle.Create(Suite, Credential.Basic("bb"u8.ToArray()), bobKey, new Lifetime(0, ulong.MaxValue));
        var commit = alice.Commit(new CommitOptions { Proposals = [new Add(bobPackage.KeyPackage)] });
        alice.MergePendingCommit();
        var bob = MlsGroup.JoinFromWelcome(commit.Welcome!, bobPackage);
        return (alice, bob);
    }
}
