// Test support for the group scenarios: a client with an identity and signature key that can mint
// key packages (RFC 9420 §10).
using System.Text;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Mls.Tests.Group;

internal sealed class GroupTestClient
{
    public GroupTestClient(CipherSuite suite, string name)
    {
        Suite = suite;
        Name = name;
        Credential = Credential.Basic(Encoding.UTF8.GetBytes(name));
        SignatureKeys = suite.GenerateSignatureKeyPair();
    }

    public CipherSuite Suite { get; }

    public string Name { get; }

    public Credential Credential { get; }

    public SignatureKeyPair SignatureKeys { get; }

    public KeyPackageBundle NewKeyPackage() => KeyPackageBundle.Create(Suite, Credential, SignatureKeys, new Lifetime(0, ulong.MaxValue));

    public MlsGroup CreateGroup(byte[] groupId, MlsGroupOptions? options = null, IReadOnlyList<Extension>? extensions = null)
        => MlsGroup.Create(Suite, groupId, Credential, SignatureKeys, extensions, options);
}
