// Test support: a client with fresh keys and a leaf node, for building ratchet trees without the
// group layer.
using System.Text;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;

namespace Parley.Mls.Tests.Tree;

/// <summary>A test client: signature and HPKE key pairs and a key-package leaf node signed with them.</summary>
internal sealed class TreeTestMember
{
    public TreeTestMember(CipherSuite suite, string name)
    {
        Name = name;
        Signature = suite.GenerateSignatureKeyPair();
        Encryption = suite.Hpke.GenerateKeyPair();
        LeafNode = new LeafNode(
            Encryption.PublicKey,
            Signature.PublicKey,
            Credential.Basic(Encoding.UTF8.GetBytes(name)),
            new Capabilities([1], [suite.Id], [], [], [CredentialType.Basic]),
            LeafNodeSource.KeyPackage,
            new Lifetime(0, ulong.MaxValue),
            null,
            [],
            []).Sign(suite, Signature.PrivateKey);
    }

    public string Name { get; }

    public SignatureKeyPair Signature { get; }

    public HpkeKeyPair Encryption { get; }

    public LeafNode LeafNode { get; }

    public override string ToString() => Name;
}
