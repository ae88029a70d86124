// RFC 9420 groups on the post-quantum suites (ML-KEM-768: 79, 80; X-Wing: 83, 84): creation, joining from a
// Welcome, commits with paths, updates, removes and messages; and a Welcome or Commit whose KEM output has the
// wrong length or does not decapsulate is refused with a code and changes nothing.
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Parley.Mls.Tests.Group;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.PostQuantum;

public sealed class PostQuantumGroupTests
{
    public static TheoryData<ushort> Suites() => new(CipherSuite.Supported.Where(id => CipherSuite.Get(id).IsPostQuantum));

    [Theory]
    [MemberData(nameof(Suites))]
    public void Members_join_commit_update_remove_and_talk(ushort id)
    {
        using var s = GroupScenario.Start(CipherSuite.Get(id), null, "alice", "bob", "carol", "dave");
        var (alice, bob, carol, dave) = (s.Groups[0], s.Groups[1], s.Groups[2], s.Groups[3]);
        GroupScenario.AssertInSync(s.Groups);

        // A commit with a path encrypts path secrets to every other member under the suite's KEM.
        var empty = bob.Commit();
        bob.MergePendingCommit();
        GroupScenario.Deliver(empty.Commit, [alice, carol, dave]);
        GroupScenario.AssertInSync(s.Groups);

        var update = carol.ProposeUpdate();
        GroupScenario.Deliver(update, [alice, bob, dave]);
        var committed = dave.Commit();
        dave.MergePendingCommit();
        GroupScenario.Deliver(committed.Commit, [alice, bob, carol]);
        GroupScenario.AssertInSync(s.Groups);

        var remove = alice.Commit(new CommitOptions { Proposals = [new Remove(dave.OwnLeafIndex)] });
        alice.MergePendingCommit();
        GroupScenario.Deliver(remove.Commit, [bob, carol]);
        Assert.True(Assert.IsType<CommitMessage>(dave.ProcessMessage(remove.Commit.ToBytes())).SelfRemoved);
        GroupScenario.AssertInSync([alice, bob, carol]);

        var erin = new GroupTestClient(CipherSuite.Get(id), "erin");
        using var bundle = erin.NewKeyPackage();
        Assert.Equal(CipherSuite.Get(id).Hpke.PublicKeyLength, bundle.KeyPackage.InitKey.Length);
        var add = carol.Commit(new CommitOptions { Proposals = [new Add(bundle.KeyPackage)] });
        carol.MergePendingCommit();
        GroupScenario.Deliver(add.Commit, [alice, bob]);
        using var erinGroup = MlsGroup.JoinFromWelcome(MlsMessage.Decode(add.Welcome!.ToBytes()), bundle);
        GroupScenario.AssertInSync([alice, bob, carol, erinGroup]);
    }

    [Theory]
    [InlineData((ushort)79, -1)]
    [InlineData((ushort)79, 1)]
    [InlineData((ushort)83, -1)]
    [InlineData((ushort)83, 32)]
    public void A_welcome_whose_kem_output_has_the_wrong_length_is_refused(ushort id, int change)
    {
        var (welcome, bundle) = WelcomeForNewMember(id);
        var secrets = welcome.Secrets[0];
        byte[] kemOutput = change < 0 ? secrets.EncryptedSecrets.KemOutput[..^1] : [.. secrets.EncryptedSecrets.KemOutput, .. new byte[change]];
        var forged = welcome with { Secrets = [secrets with { EncryptedSecrets = secrets.EncryptedSecrets with { KemOutput = kemOutput } }] };

        MlsAssert.Fails(MlsError.HpkeKemOutputLength, () => MlsGroup.JoinFromWelcome(forged, bundle));

        using var joined = MlsGroup.JoinFromWelcome(welcome, bundle);
        Assert.Equal(1ul, joined.Epoch);
        bundle.Dispose();
    }

    [Theory]
    [InlineData((ushort)79, 0)]
    [InlineData((ushort)79, 1087)]
    [InlineData((ushort)83, 5)]
    [InlineData((ushort)83, 1100)]
    public void A_welcome_whose_kem_output_does_not_decapsulate_is_refused(ushort id, int flippedByte)
    {
        var (welcome, bundle) = WelcomeForNewMember(id);
        var secrets = welcome.Secrets[0];
        byte[] kemOutput = (byte[])secrets.EncryptedSecrets.KemOutput.Clone();
        kemOutput[flippedByte] ^= 0x80;
        var forged = welcome with { Secrets = [secrets with { EncryptedSecrets = secrets.EncryptedSecrets with { KemOutput = kemOutput } }] };

        var failure = Assert.Throws<MlsProtocolException>(() => MlsGroup.JoinFromWelcome(forged, bundle));
        Assert.Contains(failure.Code, new[] { MlsError.HpkeDecryptionFailed, MlsError.WelcomeUndecryptable });

        using var joined = MlsGroup.JoinFromWelcome(welcome, bundle);
        Assert.Equal(1ul, joined.Epoch);
        bundle.Dispose();
    }

    [Theory]
    [InlineData((ushort)79, true)]
    [InlineData((ushort)79, false)]
    [InlineData((ushort)83, true)]
    [InlineData((ushort)83, false)]
    public void A_commit_whose_path_kem_output_is_malformed_is_refused_and_changes_nothing(ushort id, bool wrongLength)
    {
        using var s = GroupScenario.Start(CipherSuite.Get(id), null, "alice", "bob");
        var (alice, bob) = (s.Groups[0], s.Groups[1]);
        var result = alice.Commit();
        var forged = ReframeWithPath(alice, s.Clients[0], result.Commit, kemOutput =>
        {
            if (wrongLength)
            {
                return kemOutput[..^1];
            }
            byte[] flipped = (byte[])kemOutput.Clone();
            flipped[17] ^= 0x01;
            return flipped;
        });

        MlsAssert.Fails(wrongLength ? MlsError.HpkeKemOutputLength : MlsError.HpkeDecryptionFailed, () => bob.ProcessMessage(forged.ToBytes()));

        Assert.Equal(1ul, bob.Epoch);
        alice.MergePendingCommit();
        GroupScenario.Deliver(result.Commit, [bob]);
        GroupScenario.AssertInSync(s.Groups);
    }

    [Theory]
    [InlineData((ushort)79, false)]
    [InlineData((ushort)79, true)]
    [InlineData((ushort)83, false)]
    [InlineData((ushort)83, true)]
    public void A_key_package_whose_init_key_is_short_or_unreduced_is_refused_and_adds_nobody(ushort id, bool unreduced)
    {
        var suite = CipherSuite.Get(id);
        var client = new GroupTestClient(suite, "bob");
        using var bundle = client.NewKeyPackage();
        byte[] initKey = (byte[])bundle.KeyPackage.InitKey.Clone();
        if (unreduced)
        {
            // The first twelve-bit coefficient of the ML-KEM key becomes 4095 (q = 3329).
            initKey[0] = 0xFF;
            initKey[1] |= 0x0F;
        }
        else
        {
            initKey = initKey[..^1];
        }
        var forged = (bundle.KeyPackage with { InitKey = initKey }).Sign(suite, client.SignatureKeys.PrivateKey);
        using var alice = new GroupTestClient(suite, "alice").CreateGroup(Encoding.UTF8.GetBytes("pq key package"));

        MlsAssert.Fails(MlsError.KeyPackageInitKeyInvalid, () => LeafNodeValidation.ValidateKeyPackage(suite, forged, [], MlsGroupOptions.Default));
        MlsAssert.Fails(MlsError.KeyPackageInitKeyInvalid, () => alice.Commit(new CommitOptions { Proposals = [new Add(forged)] }));

        Assert.False(alice.HasPendingCommit);
        Assert.Equal(0ul, alice.Epoch);
        Assert.Single(alice.Members);
    }

    private static (Welcome Welcome, KeyPackageBundle Bundle) WelcomeForNewMember(ushort id)
    {
        var suite = CipherSuite.Get(id);
        using var alice = new GroupTestClient(suite, "alice").CreateGroup(Encoding.UTF8.GetBytes("pq welcome"));
        var bundle = new GroupTestClient(suite, "bob").NewKeyPackage();
        var result = alice.Commit(new CommitOptions { Proposals = [new Add(bundle.KeyPackage)] });
        return (MlsMessage.Decode(result.Welcome!.ToBytes()).Welcome!, bundle);
    }

    // The committer's own Commit with every encrypted path secret's kem_output changed, signed and tagged again
    // with the committer's keys, so that only the KEM output is wrong.
    private static MlsMessage ReframeWithPath(MlsGroup committer, GroupTestClient client, MlsMessage commit, Func<byte[], byte[]> change)
    {
        var state = committer.State;
        var pm = MlsMessage.Decode(commit.ToBytes()).PublicMessage!;
        var original = pm.Content.Commit!;
        var path = original.Path!;
        var nodes = path.Nodes.Select(n => n with
        {
            EncryptedPathSecret = n.EncryptedPathSecret.Select(c => c with { KemOutput = change(c.KemOutput) }).ToArray(),
        }).ToArray();
        var framed = FramedContent.ForCommit(pm.Content.GroupId, pm.Content.Epoch, pm.Content.Sender, pm.Content.AuthenticatedData,
            original with { Path = path with { Nodes = nodes } });
        var content = MessageProtection.Sign(state.Suite, WireFormat.MlsPublicMessage, framed, client.SignatureKeys.PrivateKey, state.Context)
            .WithConfirmationTag(pm.Auth.ConfirmationTag!);
        return new MlsMessage(MessageProtection.ProtectPublic(state.Suite, content, state.Context, state.Secrets.MembershipKey));
    }
}
