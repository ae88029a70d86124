// A channel subscriber's leaf (docs/channels.md, "Subscriber anonymity"): a fresh Ed25519 signature key
// for this one channel and a basic credential that names only that key, "anon:" followed by 32 hex digits
// of SHA-256(signature key)[0..16]. It carries no AccountBinding, so the other members learn nothing about
// the account behind it, and no two channels' leaves of one device can be linked.
using System.Text;
using Parley.Client.Groups;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;

namespace Parley.Client.Channels;

/// <summary>Builds and checks pseudonymous channel leaves.</summary>
public static class PseudonymousLeaf
{
    /// <summary>The prefix of a pseudonymous credential's identity.</summary>
    public const string Prefix = ChannelPseudonym.Prefix;

    /// <summary>The credential identity for <paramref name="signatureKey"/>: "anon:" + 32 lowercase hex digits.</summary>
    public static string IdentityOf(ReadOnlySpan<byte> signatureKey)
        => ChannelPseudonym.IdentityOf(signatureKey);

    /// <summary>True when the leaf is a well-formed pseudonymous leaf: a basic credential naming exactly its own
    /// signature key, and no account binding.</summary>
    public static bool Is(LeafNode leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        return leaf.Credential is { Type: CredentialType.Basic, Identity: { } identity }
               && AccountBinding.Of(leaf) is null
               && leaf.Extensions.All(e => e.Type != AccountBinding.ExtensionType)
               && Encoding.ASCII.GetString(identity) == IdentityOf(leaf.SignatureKey);
    }

    /// <summary>True when <paramref name="credential"/> is the pseudonym of <paramref name="signatureKey"/>.</summary>
    public static bool Names(Credential credential, ReadOnlySpan<byte> signatureKey)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return credential is { Type: CredentialType.Basic, Identity: { } identity } && Encoding.ASCII.GetString(identity) == IdentityOf(signatureKey);
    }

    /// <summary>True when the leaf's credential claims to be pseudonymous (whether or not it is well formed).</summary>
    public static bool ClaimsToBe(LeafNode leaf)
        => leaf.Credential is { Type: CredentialType.Basic, Identity: { } identity }
           && identity.AsSpan().StartsWith(Encoding.ASCII.GetBytes(Prefix));

    /// <summary>A fresh key package under a fresh signature key, valid for <paramref name="lifetime"/> from an
    /// hour ago. The caller keeps the returned private keys (signature, init, leaf encryption) secret.</summary>
    public static (GeneratedKeyPackage KeyPackage, SignatureKeyPair SignatureKey) NewKeyPackage(CipherSuite suite, Capabilities capabilities,
        DateTimeOffset now, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(capabilities);
        var signatureKey = suite.GenerateSignatureKeyPair();
        var credential = Credential.Basic(Encoding.ASCII.GetBytes(IdentityOf(signatureKey.PublicKey)));
        var validity = new Lifetime((ulong)now.AddHours(-1).ToUnixTimeSeconds(), (ulong)(now + lifetime).ToUnixTimeSeconds());
        HpkeKeyPair init = suite.Hpke.GenerateKeyPair();
        HpkeKeyPair leafKey = suite.Hpke.GenerateKeyPair();
        var leaf = new LeafNode(leafKey.PublicKey, signatureKey.PublicKey, credential, capabilities, LeafNodeSource.KeyPackage,
            validity, null, [], []).Sign(suite, signatureKey.PrivateKey);
        var keyPackage = new KeyPackage(ProtocolVersion.Mls10, suite.Id, init.PublicKey, leaf, [], []).Sign(suite, signatureKey.PrivateKey);
        return (new GeneratedKeyPackage(keyPackage.Ref(suite), new MlsMessage(keyPackage).ToBytes(), init.PrivateKey, leafKey.PrivateKey), signatureKey);
    }
}
