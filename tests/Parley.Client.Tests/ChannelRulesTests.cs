using System.Security.Cryptography;
using System.Text;
using Parley.Client.Channels;
using Parley.Client.Conversations;
using Parley.Client.Groups;
using Parley.Client.Identity;
using Parley.Client.Network;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Xunit;

namespace Parley.Client.Tests;

/// <summary>The client side of channels without a server: the channel extension, pseudonymous leaves, who may send in a
/// channel, invite links, view tokens, the stored records and the verification of public posts.</summary>
public sealed class ChannelRulesTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Channel_extension_round_trips_and_a_malformed_one_names_no_admin()
    {
        var extension = new ChannelExtension("News & notes", ["carol", "alice", "alice"]);
        var decoded = ChannelExtension.Of([extension.ToExtension()]);
        Assert.NotNull(decoded);
        Assert.Equal("News & notes", decoded.Name);
        Assert.Equal(["alice", "carol"], decoded.Admins);
        Assert.True(decoded.IsAdmin("alice"));
        Assert.False(decoded.IsAdmin("bob"));
        Assert.False(decoded.IsAdmin(null));

        byte[] data = extension.ToExtension().Data;
        Assert.Null(ChannelExtension.TryDecode(data.AsMemory(0, data.Length - 1)));
        Assert.Null(ChannelExtension.TryDecode(new byte[] { 2, 1, (byte)'x', 0 }));
        Assert.Null(ChannelExtension.Of([new Extension(0xF0A1, data)]));
    }

    [Fact]
    public void A_pseudonymous_key_package_names_only_its_own_key()
    {
        var leaf = TestMls.NewDevice("alice");
        var (package, signature) = PseudonymousLeaf.NewKeyPackage(TestMls.Suite, leaf.Capabilities, Now, TimeSpan.FromDays(1));
        var keyPackage = MlsMessage.Decode(package.Message).KeyPackage!;
        Assert.True(keyPackage.Verify(TestMls.Suite));
        Assert.True(PseudonymousLeaf.Is(keyPackage.LeafNode));
        Assert.Equal(PseudonymousLeaf.IdentityOf(signature.PublicKey), Encoding.ASCII.GetString(keyPackage.LeafNode.Credential.Identity!));
        Assert.StartsWith("anon:", Encoding.ASCII.GetString(keyPackage.LeafNode.Credential.Identity!));
        Assert.Null(AccountBinding.Of(keyPackage.LeafNode));
        // A second package for another channel is unlinkable: another key, another pseudonym.
        var (other, _) = PseudonymousLeaf.NewKeyPackage(TestMls.Suite, leaf.Capabilities, Now, TimeSpan.FromDays(1));
        Assert.NotEqual(keyPackage.LeafNode.SignatureKey, MlsMessage.Decode(other.Message).KeyPackage!.LeafNode.SignatureKey);

        // A credential naming another key is not a well-formed pseudonym.
        var forged = keyPackage.LeafNode with { Credential = Credential.Basic(Encoding.ASCII.GetBytes(PseudonymousLeaf.IdentityOf(new byte[32]))) };
        Assert.True(PseudonymousLeaf.ClaimsToBe(forged));
        Assert.False(PseudonymousLeaf.Is(forged));
    }

    [Fact]
    public void In_a_channel_only_admin_devices_may_send_and_anonymous_leaves_are_accepted_only_there()
    {
        var alice = TestMls.NewDevice("alice");
        var extension = new ChannelExtension("news", ["alice"]);
        using var channel = MlsGroup.Create(alice.Suite, RandomNumberGenerator.GetBytes(16), alice.Credential, alice.SignatureKey, [extension.ToExtension()],
            null, alice.Capabilities, alice.LeafExtensions);
        var (package, signature) = PseudonymousLeaf.NewKeyPackage(TestMls.Suite, alice.Capabilities, Now, TimeSpan.FromDays(1));
        var subscriberPackage = MlsMessage.Decode(package.Message).KeyPackage!;
        var bobDevice = TestMls.NewDevice("bob");
        var bobPackage = MlsMessage.Decode(bobDevice.NewKeyPackage(Now).Message).KeyPackage!;
        Assert.True(ChannelRules.Supports(channel, subscriberPackage));
        channel.Commit(new CommitOptions { Proposals = [new Add(subscriberPackage), new Add(bobPackage)] });
        channel.MergePendingCommit();

        var leaves = GroupRoster.Leaves(channel);
        var admin = leaves.Single(l => l.Username == "alice");
        var subscriber = leaves.Single(l => l.Node.SignatureKey.AsSpan().SequenceEqual(signature.PublicKey));
        var namedNonAdmin = leaves.Single(l => l.Username == "bob");
        Assert.Null(ChannelRules.SenderProblem(channel, admin));
        Assert.Contains("not one of its admins", ChannelRules.SenderProblem(channel, subscriber));
        Assert.Contains("not one of its admins", ChannelRules.SenderProblem(channel, namedNonAdmin));
        Assert.True(ChannelRules.AcceptsWithoutAccount(channel, subscriber));
        Assert.False(ChannelRules.AcceptsWithoutAccount(channel, admin));
        Assert.True(ChannelRules.IsAdmin(channel, "alice"));
        Assert.False(ChannelRules.IsSubscriber(channel));
        Assert.Equal(["alice", "bob"], GroupRoster.Members(channel).Select(m => m.Username));

        // In an ordinary group every member may send, and a pseudonymous leaf is no exception to account checks.
        var (plain, _) = TestMls.TwoMemberGroup();
        using (plain)
        {
            Assert.Null(ChannelRules.SenderProblem(plain, GroupRoster.Leaves(plain)[0]));
            Assert.False(ChannelRules.AcceptsWithoutAccount(plain, subscriber));
            Assert.False(ChannelRules.IsChannel(plain));
        }
    }

    [Fact]
    public void A_key_package_without_the_channel_capability_cannot_join_a_channel()
    {
        var alice = TestMls.NewDevice("alice");
        using var channel = MlsGroup.Create(alice.Suite, RandomNumberGenerator.GetBytes(16), alice.Credential, alice.SignatureKey,
            [new ChannelExtension("news", ["alice"]).ToExtension()], null, alice.Capabilities, alice.LeafExtensions);
        var (old, _, _) = TestMls.NewKeyPackage("0123", TestMls.Suite.GenerateSignatureKeyPair());
        Assert.False(ChannelRules.Supports(channel, old));
    }

    [Fact]
    public void Invite_links_round_trip_and_malformed_ones_are_refused_with_a_sentence()
    {
        var link = new InviteLink(new Uri("https://parley.example:8443/"), "AAECAwQFBgcICQoLDA0ODw");
        string text = link.ToString();
        Assert.StartsWith("parley-invite:", text);
        var parsed = InviteLink.Parse("  " + text + "\n");
        Assert.Equal(link.Token, parsed.Token);
        Assert.True(InviteLink.SameServer(link.Server, parsed.Server));
        Assert.True(InviteLink.SameServer(new Uri("https://PARLEY.example:8443"), parsed.Server));
        Assert.False(InviteLink.SameServer(new Uri("https://parley.example:8444"), parsed.Server));

        foreach (string bad in new[] { "", "https://parley.example", "parley-invite:", "parley-invite:abc", "parley-invite:!!!:AAECAwQFBgcICQoLDA0ODw",
                     text + ":extra", text[..^2] })
        {
            var e = Assert.Throws<ParleyClientException>(() => InviteLink.Parse(bad));
            Assert.Contains("invite link", e.Message);
        }
    }

    [Fact]
    public void View_tokens_are_stable_per_post_and_unlinkable_across_posts_and_viewers()
    {
        byte[] key = ViewToken.NewKey();
        byte[] first = ViewToken.Compute(key, "post-1");
        Assert.Equal(32, first.Length);
        Assert.Equal(first, ViewToken.Compute(key, "post-1"));
        Assert.NotEqual(first, ViewToken.Compute(key, "post-2"));
        Assert.NotEqual(first, ViewToken.Compute(ViewToken.NewKey(), "post-1"));
    }

    [Fact]
    public void A_private_channel_record_keeps_its_history_limit_and_announced_requests_and_a_version_1_record_reads_with_the_default()
    {
        var conversation = ConversationId.New();
        byte[] viewKey = ViewToken.NewKey();
        var record = (PrivateChannelRecord)ChannelRecordCodec.Decode(ChannelRecordCodec.Encode(
            new PrivateChannelRecord(conversation, "club", false, viewKey, 3, 5, ["r1", "r2"])));
        Assert.Equal(5, record.HistoryLimit);
        Assert.Equal(["r1", "r2"], record.AnnouncedRequests);

        byte[] version1 = TlsWriter.Encode(w =>
        {
            w.WriteUInt8(1);
            w.WriteUInt8(1);
            w.WriteOpaque(conversation.ToBytes());
            w.WriteString("club");
            w.WriteBool(false);
            w.WriteOpaque(viewKey);
            w.WriteUInt64(3);
        });
        var old = (PrivateChannelRecord)ChannelRecordCodec.Decode(version1);
        Assert.Equal(PrivateChannelRecord.DefaultHistoryLimit, old.HistoryLimit);
        Assert.Equal(3, old.ViewedThrough);

        // The history limit's last octet sits before the empty request list and the absent queue token.
        byte[] tooMany = ChannelRecordCodec.Encode(new PrivateChannelRecord(conversation, "club", false, viewKey, 3, 5, []));
        tooMany[^3] = 0xFF;
        Assert.Throws<MlsDecodeException>(() => ChannelRecordCodec.Decode(tooMany));
    }

    [Fact]
    public void A_subscribers_records_keep_the_queue_token_and_a_version_2_record_reads_without_one()
    {
        var conversation = ConversationId.New();
        byte[] viewKey = ViewToken.NewKey(), token = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var record = (PrivateChannelRecord)ChannelRecordCodec.Decode(ChannelRecordCodec.Encode(
            new PrivateChannelRecord(conversation, "club", true, viewKey, 3, QueueToken: token)));
        using var join = (PendingChannelJoin)ChannelRecordCodec.Decode(ChannelRecordCodec.Encode(
            new PendingChannelJoin("j1", new Uri("https://parley.example"), "r1", "pending", [1, 2], [3], [4], [5], [6], Now, token)));
        Assert.Equal(token, record.QueueToken);
        Assert.Equal(token, join.QueueToken);
        var moving = (PrivateChannelRecord)ChannelRecordCodec.Decode(ChannelRecordCodec.Encode(record with { QueueMoving = true }));
        Assert.True(moving.QueueMoving);
        Assert.Null(moving.ActiveQueueToken);
        Assert.Equal(token, record.ActiveQueueToken);

        byte[] version2 = TlsWriter.Encode(w =>
        {
            w.WriteUInt8(2);
            w.WriteUInt8(1);
            w.WriteOpaque(conversation.ToBytes());
            w.WriteString("club");
            w.WriteBool(true);
            w.WriteOpaque(viewKey);
            w.WriteUInt64(3);
            w.WriteUInt32(20);
            w.WriteVector(Array.Empty<string>(), (inner, id) => inner.WriteString(id));
        });
        var old = (PrivateChannelRecord)ChannelRecordCodec.Decode(version2);
        Assert.Null(old.QueueToken);
        Assert.True(old.Pseudonymous);
    }

    [Fact]
    public void Channel_records_are_sealed_in_the_store_and_read_back()
    {
        using var temp = new TempStore();
        using var store = temp.Create();
        var conversation = ConversationId.New();
        byte[] viewKey = ViewToken.NewKey();
        using (var transaction = store.BeginTransaction())
        {
            transaction.SaveChannelRecord(new PrivateChannelRecord(conversation, "secret-club", true, viewKey, 7));
            transaction.SaveChannelRecord(new PendingChannelJoin("j1", new Uri("https://parley.example"), "r1", "pending", [1, 2], [3], [4], [5], [6], Now));
            transaction.SaveChannelRecord(new PublicChannelRecord(new Uri("https://parley.example"), "town-news", "alice", new byte[32], true, 3, Now));
            transaction.Commit();
        }
        var record = store.GetPrivateChannel(conversation);
        Assert.NotNull(record);
        Assert.Equal("secret-club", record.Name);
        Assert.True(record.Pseudonymous);
        Assert.Equal(viewKey, record.ViewKey);
        Assert.Equal(7, record.ViewedThrough);
        Assert.Equal("alice", store.GetPublicChannel(new Uri("https://PARLEY.example/"), "Town-News")!.Owner);
        var join = Assert.Single(store.GetChannelRecords().OfType<PendingChannelJoin>());
        Assert.Equal("r1", join.RequestId);
        Assert.Equal([6], join.SignaturePrivateKey);

        // Nothing of it is readable in the file.
        byte[] disk = temp.DiskImage();
        Assert.Equal(-1, disk.AsSpan().IndexOf("secret-club"u8));
        Assert.Equal(-1, disk.AsSpan().IndexOf("town-news"u8));
    }

    [Fact]
    public void A_public_post_verifies_only_when_signed_by_a_certified_device_of_an_admin()
    {
        using var aliceKey = AccountIdentityKey.Generate();
        using var malloryKey = AccountIdentityKey.Generate();
        var device = TestMls.Suite.GenerateSignatureKeyPair();
        byte[] certificate = aliceKey.Sign(AccountStatements.DeviceCertificate("alice", 1, device.PublicKey));
        var channel = new PublicChannelInfo(new Uri("https://parley.example"), "town-news", null, null, [new PublicChannelAdmin("alice", aliceKey.PublicKey)],
            "alice", Now);
        var post = PublicPost.Sign("town-news", "p1", PublicPostOperation.Post, Now, "hello town", "alice", certificate, device.PrivateKey);

        var verified = PublicChannelReader.Verify(channel, new PublicPostEntry(1, "p1", post.Encode(), false, 4));
        Assert.True(verified.Verified, verified.Problem);
        Assert.Equal("hello town", verified.Text);

        var tampered = post with { Text = "hello t0wn" };
        var failed = PublicChannelReader.Verify(channel, new PublicPostEntry(1, "p1", tampered.Encode(), false, 4));
        Assert.False(failed.Verified);
        Assert.Null(failed.Text);
        Assert.Contains("signature", failed.Problem);

        var otherChannel = PublicChannelReader.Verify(channel with { Name = "other-news" }, new PublicPostEntry(1, "p1", post.Encode(), false, 4));
        Assert.Contains("another channel", otherChannel.Problem);

        var wrongKey = PublicChannelReader.Verify(channel with { Admins = [new PublicChannelAdmin("alice", malloryKey.PublicKey)] },
            new PublicPostEntry(1, "p1", post.Encode(), false, 4));
        Assert.Contains("not certified", wrongKey.Problem);

        var notAdmin = PublicChannelReader.Verify(channel with { Admins = [new PublicChannelAdmin("bob", aliceKey.PublicKey)], Owner = "bob" },
            new PublicPostEntry(1, "p1", post.Encode(), false, 4));
        Assert.Contains("not an admin", notAdmin.Problem);

        Assert.Contains("malformed", PublicChannelReader.Verify(channel, new PublicPostEntry(1, "p1", [1, 2, 3], false, 0)).Problem);
    }
}
