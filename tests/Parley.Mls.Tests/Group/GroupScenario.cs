// Test support for multi-member scenarios (RFC 9420 §11, §12.4.3): a group whose first member added the
// others with one Commit, and helpers to deliver messages and compare the members' states.
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Xunit;

namespace Parley.Mls.Tests.Group;

internal sealed class GroupScenario : IDisposable
{
    public List<GroupTestClient> Clients { get; } = new();

    public List<MlsGroup> Groups { get; } = new();

    /// <summary>Clients named <paramref name="names"/>; the first creates the group and adds the others.</summary>
    public static GroupScenario Start(CipherSuite suite, MlsGroupOptions? options = null, params string[] names)
    {
        var s = new GroupScenario();
        foreach (string name in names)
        {
            s.Clients.Add(new GroupTestClient(suite, name));
        }
        var creator = s.Clients[0].CreateGroup(Encoding.UTF8.GetBytes($"group of {names[0]}"), options);
        s.Groups.Add(creator);
        if (names.Length == 1)
        {
            return s;
        }
        var bundles = s.Clients.Skip(1).Select(c => c.NewKeyPackage()).ToList();
        var result = creator.Commit(new CommitOptions { Proposals = bundles.Select(b => (Proposal)new Add(b.KeyPackage)).ToArray() });
        creator.MergePendingCommit();
        foreach (var b in bundles)
        {
            s.Groups.Add(MlsGroup.JoinFromWelcome(result.Welcome!, b, options: options));
            b.Dispose();
        }
        return s;
    }

    /// <summary>Each receiver processes the message.</summary>
    public static void Deliver(MlsMessage message, IEnumerable<MlsGroup> receivers)
    {
        byte[] bytes = message.ToBytes();
        foreach (var g in receivers)
        {
            g.ProcessMessage(bytes);
        }
    }

    /// <summary>All groups are at the same epoch with the same context and secrets, and each member's
    /// application message is read by every other member.</summary>
    public static void AssertInSync(IReadOnlyList<MlsGroup> groups)
    {
        foreach (var g in groups.Skip(1))
        {
            Assert.Equal(groups[0].Epoch, g.Epoch);
            Assert.Equal(groups[0].EpochAuthenticator, g.EpochAuthenticator);
            Assert.Equal(groups[0].Context, g.Context);
            Assert.Equal(groups[0].Export("test", "ctx"u8, 32), g.Export("test", "ctx"u8, 32));
        }
        foreach (var sender in groups)
        {
            byte[] message = sender.EncryptApplicationMessage("ping"u8).ToBytes();
            foreach (var receiver in groups.Where(g => g != sender))
            {
                Assert.Equal("ping"u8.ToArray(), Assert.IsType<ApplicationMessage>(receiver.ProcessMessage(message)).Data);
            }
        }
    }

    /// <summary>The PSKs a Welcome's GroupSecrets name for <paramref name="keyPackage"/>.</summary>
    public static IReadOnlyList<PreSharedKeyId> WelcomePsks(MlsMessage welcome, KeyPackageBundle keyPackage)
    {
        var w = welcome.Welcome!;
        var entry = w.Secrets.Single(e => e.NewMember.AsSpan().SequenceEqual(keyPackage.Ref));
        byte[] plaintext = keyPackage.Suite.DecryptWithLabel(keyPackage.InitPrivateKey, "Welcome", w.EncryptedGroupInfo,
            entry.EncryptedSecrets.KemOutput, entry.EncryptedSecrets.Ciphertext);
        return TlsReader.Decode(plaintext, GroupSecrets.Decode).Psks;
    }

    public void Dispose()
    {
        foreach (var g in Groups)
        {
            g.Dispose();
        }
    }
}
