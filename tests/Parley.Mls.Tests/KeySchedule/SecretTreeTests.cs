// RFC 9420 §9.1 and §9.2: single-use keys, out-of-order delivery, bounded look-ahead, persistence,
// and keys consumed only once the message they open has authenticated.
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.KeySchedule;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.KeySchedule;

public sealed class SecretTreeTests
{
    private static readonly CipherSuite Suite = CipherSuite.Get(1);
    private static readonly byte[] EncryptionSecret = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly LeafIndex Alice = new(0);
    private static readonly LeafIndex Bob = new(3);

    private static SecretTree NewTree(uint leaves = 4) => new(Suite, EncryptionSecret, leaves);

    [Fact]
    public void Receiver_derives_the_keys_the_sender_used()
    {
        using var sender = NewTree();
        using var receiver = NewTree();
        for (int i = 0; i < 5; i++)
        {
            using var sent = sender.NextForSending(Bob, RatchetType.Application);
            using var received = receiver.GetForReceiving(Bob, RatchetType.Application, sent.Generation);
            Assert.Equal((uint)i, sent.Generation);
            Assert.Equal(sent.Key.ToArray(), received.Key.ToArray());
            Assert.Equal(sent.Nonce.ToArray(), received.Nonce.ToArray());
        }
    }

    [Fact]
    public void Handshake_and_application_ratchets_are_independent()
    {
        using var tree = NewTree();
        using var handshake = tree.NextForSending(Alice, RatchetType.Handshake);
        using var application = tree.NextForSending(Alice, RatchetType.Application);
        Assert.Equal(0u, handshake.Generation);
        Assert.Equal(0u, application.Generation);
        Assert.NotEqual(handshake.Key.ToArray(), application.Key.ToArray());
    }

    [Fact]
    public void Replay_of_a_consumed_generation_throws()
    {
        using var tree = NewTree();
        tree.GetForReceiving(Bob, RatchetType.Application, 0).Dispose();

        MlsAssert.Fails(MlsError.GenerationUnavailable, () => tree.GetForReceiving(Bob, RatchetType.Application, 0));
    }

    [Fact]
    public void Out_of_order_generations_within_the_window_are_each_delivered_once()
    {
        using var reference = NewTree();
        var expected = Enumerable.Range(0, 6).Select(_ => reference.NextForSending(Bob, RatchetType.Application).Key.ToArray()).ToArray();
        using var tree = NewTree();

        foreach (uint g in new uint[] { 5, 2, 0, 4, 1, 3 })
        {
            using var key = tree.GetForReceiving(Bob, RatchetType.Application, g);
            Assert.Equal(g, key.Generation);
            Assert.Equal(expected[g], key.Key.ToArray());
        }
        foreach (uint g in new uint[] { 0, 3, 5 })
        {
            MlsAssert.Fails(MlsError.GenerationUnavailable, () => tree.GetForReceiving(Bob, RatchetType.Application, g));
        }
        Assert.Equal(6u, tree.GetForReceiving(Bob, RatchetType.Application, 6).Generation);
    }

    [Fact]
    public void Generation_too_far_ahead_throws_and_leaves_the_ratchet_unchanged()
    {
        using var tree = NewTree();
        MlsAssert.Fails(MlsError.GenerationTooFarAhead, () => tree.GetForReceiving(Bob, RatchetType.Application, SecretTree.MaxForwardDistance + 1));
        Assert.Equal(0u, tree.NextGeneration(Bob, RatchetType.Application));

        using var farthest = tree.GetForReceiving(Bob, RatchetType.Application, SecretTree.MaxForwardDistance);
        Assert.Equal(SecretTree.MaxForwardDistance, farthest.Generation);
    }

    [Fact]
    public void Skipped_keys_beyond_the_retention_limit_expire_oldest_first()
    {
        using var tree = NewTree();
        uint target = SecretTree.MaxSkippedKeys + 10;
        tree.GetForReceiving(Bob, RatchetType.Application, target).Dispose();

        // Generations 0..9 were skipped but not retained; 10..target-1 were.
        MlsAssert.Fails(MlsError.GenerationUnavailable, () => tree.GetForReceiving(Bob, RatchetType.Application, 9));
        tree.GetForReceiving(Bob, RatchetType.Application, 10).Dispose();
        tree.GetForReceiving(Bob, RatchetType.Application, target - 1).Dispose();

        // A further jump evicts the oldest retained keys first.
        tree.GetForReceiving(Bob, RatchetType.Application, target + 20).Dispose();
        MlsAssert.Fails(MlsError.GenerationUnavailable, () => tree.GetForReceiving(Bob, RatchetType.Application, 11));
        tree.GetForReceiving(Bob, RatchetType.Application, target + 19).Dispose();
    }

    [Fact]
    public void Leaf_outside_the_tree_throws()
    {
        using var tree = NewTree(4);
        MlsAssert.Fails(MlsError.SecretTreeLeafOutside, () => tree.NextForSending(new LeafIndex(4), RatchetType.Application));
        MlsAssert.Fails(MlsError.SecretTreeLeafOutside, () => tree.GetForReceiving(new LeafIndex(uint.MaxValue), RatchetType.Handshake, 0));
    }

    [Fact]
    public void Only_the_path_to_a_requested_leaf_is_derived()
    {
        const uint leaves = 1 << 14;
        using var tree = new SecretTree(Suite, EncryptionSecret, leaves);

        tree.NextForSending(new LeafIndex(0), RatchetType.Application).Dispose();
        // The copath of leaf 0: one sibling secret per level, parents and the leaf deleted.
        Assert.Equal(14, tree.StoredNodeSecretCount);

        tree.NextForSending(new LeafIndex(1), RatchetType.Application).Dispose();
        Assert.Equal(13, tree.StoredNodeSecretCount);
    }

    [Fact]
    public void Restored_tree_gives_the_same_subsequent_keys()
    {
        using var original = NewTree();
        original.GetForReceiving(Bob, RatchetType.Application, 7).Dispose();
        original.GetForReceiving(Bob, RatchetType.Application, 3).Dispose();
        original.NextForSending(Alice, RatchetType.Handshake).Dispose();

        var writer = new TlsWriter();
        original.Encode(writer);
        byte[] stored = writer.ToArray();
        writer.Clear();
        using var restored = TlsReader.Decode(stored, r => SecretTree.Decode(r, Suite));

        var again = new TlsWriter();
        restored.Encode(again);
        Assert.Equal(stored, again.ToArray());

        foreach (var (leaf, type, generation) in new[]
                 {
                     (Bob, RatchetType.Application, 5u), (Bob, RatchetType.Application, 8u),
                     (Bob, RatchetType.Handshake, 0u), (Alice, RatchetType.Handshake, 1u),
                     (new LeafIndex(1), RatchetType.Application, 2u),
                 })
        {
            using var a = original.GetForReceiving(leaf, type, generation);
            using var b = restored.GetForReceiving(leaf, type, generation);
            Assert.Equal(a.Key.ToArray(), b.Key.ToArray());
            Assert.Equal(a.Nonce.ToArray(), b.Nonce.ToArray());
        }
        MlsAssert.Fails(MlsError.GenerationUnavailable, () => restored.GetForReceiving(Bob, RatchetType.Application, 3));
    }

    [Fact]
    public void Stored_tree_of_another_suite_or_truncated_is_rejected()
    {
        using var tree = NewTree();
        tree.NextForSending(Alice, RatchetType.Application).Dispose();
        var writer = new TlsWriter();
        tree.Encode(writer);
        byte[] stored = writer.ToArray();

        Assert.Throws<MlsDecodeException>(() => TlsReader.Decode(stored, r => SecretTree.Decode(r, CipherSuite.Get(3))));
        Assert.Throws<MlsDecodeException>(() => TlsReader.Decode(stored.AsMemory(0, stored.Length - 1), r => SecretTree.Decode(r, Suite)));
    }

    [Fact]
    public void Disposed_tree_refuses_to_hand_out_keys()
    {
        var tree = NewTree();
        var key = tree.NextForSending(Alice, RatchetType.Application);
        tree.Dispose();
        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => tree.NextForSending(Alice, RatchetType.Application));
        Assert.Throws<ObjectDisposedException>(() => key.Key.ToArray());
        Assert.DoesNotContain(Convert.ToHexString(EncryptionSecret), tree.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Try_open_that_fails_leaves_the_tree_byte_for_byte_unchanged()
    {
        using var tree = NewTree();
        tree.TryOpen(Bob, RatchetType.Application, 3, _ => true); // retains 0..2, ratchet at 4
        byte[] before = Encode(tree);

        // A retained generation, the next one, one far ahead, and a leaf whose ratchets are not derived yet.
        foreach (var (leaf, generation) in new[] { (Bob, 1u), (Bob, 4u), (Bob, 4u + 1000), (Alice, 0u), (Alice, 700u) })
        {
            bool called = false;
            Assert.False(tree.TryOpen(leaf, RatchetType.Application, generation, _ => { called = true; return false; }));
            Assert.Throws<InvalidOperationException>(() =>
                tree.TryOpen(leaf, RatchetType.Application, generation, _ => throw new InvalidOperationException()));
            Assert.True(called);
            Assert.Equal(before, Encode(tree));
        }
    }

    [Fact]
    public void Try_open_passes_the_senders_key_and_consumes_it_only_on_success()
    {
        using var sender = NewTree();
        using var receiver = NewTree();
        var sent = Enumerable.Range(0, 4).Select(_ => sender.NextForSending(Bob, RatchetType.Application)).ToArray();

        foreach (uint g in new uint[] { 2, 0 })
        {
            byte[]? seen = null;
            Assert.False(receiver.TryOpen(Bob, RatchetType.Application, g, key => { seen = key.Key.ToArray(); return false; }));
            Assert.Equal(sent[g].Key.ToArray(), seen);
            Assert.True(receiver.TryOpen(Bob, RatchetType.Application, g, key =>
                key.Generation == g && key.Nonce.SequenceEqual(sent[g].Nonce)));
            MlsAssert.Fails(MlsError.GenerationUnavailable, () => receiver.TryOpen(Bob, RatchetType.Application, g, _ => true));
        }
        Assert.True(receiver.TryOpen(Bob, RatchetType.Application, 1, key => key.Key.SequenceEqual(sent[1].Key)));
        Assert.Equal(3u, receiver.NextGeneration(Bob, RatchetType.Application));
        foreach (var key in sent)
        {
            key.Dispose();
        }
    }

    [Fact]
    public void Try_open_leaves_the_same_state_as_get_for_receiving()
    {
        using var viaGet = NewTree();
        using var viaTryOpen = NewTree();
        foreach (var (leaf, type, generation) in new[]
                 {
                     (Bob, RatchetType.Application, 7u), (Bob, RatchetType.Application, 3u),
                     (Alice, RatchetType.Handshake, 0u), (Bob, RatchetType.Application, 7u + SecretTree.MaxSkippedKeys + 5),
                     (new LeafIndex(1), RatchetType.Handshake, SecretTree.MaxForwardDistance),
                 })
        {
            viaGet.GetForReceiving(leaf, type, generation).Dispose();
            Assert.True(viaTryOpen.TryOpen(leaf, type, generation, _ => true));
            Assert.Equal(Encode(viaGet), Encode(viaTryOpen));
        }
    }

    [Fact]
    public void Try_open_refuses_used_and_unreachable_generations_without_calling_use()
    {
        using var tree = NewTree();
        Assert.True(tree.TryOpen(Bob, RatchetType.Handshake, 0, _ => true));
        byte[] before = Encode(tree);

        foreach (var (g, code) in new[]
                 {
                     (0u, MlsError.GenerationUnavailable), (SecretTree.MaxForwardDistance + 2, MlsError.GenerationTooFarAhead),
                     (uint.MaxValue, MlsError.GenerationTooFarAhead),
                 })
        {
            MlsAssert.Fails(code, () => tree.TryOpen(Bob, RatchetType.Handshake, g, _ => throw new InvalidOperationException()));
        }
        MlsAssert.Fails(MlsError.SecretTreeLeafOutside, () => tree.TryOpen(new LeafIndex(4), RatchetType.Handshake, 0, _ => true));
        Assert.Equal(before, Encode(tree));
    }

    [Fact]
    public void Forged_generation_far_ahead_does_not_evict_retained_keys()
    {
        using var tree = NewTree();
        Assert.True(tree.TryOpen(Bob, RatchetType.Application, 2, _ => true));

        Assert.False(tree.TryOpen(Bob, RatchetType.Application, 3 + 1000, _ => false));

        Assert.True(tree.TryOpen(Bob, RatchetType.Application, 0, _ => true));
        Assert.True(tree.TryOpen(Bob, RatchetType.Application, 1, _ => true));
        Assert.True(tree.TryOpen(Bob, RatchetType.Application, 3, _ => true));
    }

    private static byte[] Encode(SecretTree tree)
    {
        var writer = new TlsWriter();
        tree.Encode(writer);
        byte[] bytes = writer.ToArray();
        writer.Clear();
        return bytes;
    }
}
