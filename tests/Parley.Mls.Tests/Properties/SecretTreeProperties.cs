// RFC 9420 §9 (secret tree), §9.1 (encryption keys) and §9.2 (deletion schedule): keys of distinct
// (leaf, type, generation) differ; a receiver gets the sender's key for each generation whatever the order
// it asks in, each key exactly once; a rejected trial opening changes nothing; persisting the tree midway
// changes nothing. Checked against a model of each ratchet: the next underived generation and the
// skipped generations still retained.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Parley.Mls;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.KeySchedule;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Properties;

public sealed class SecretTreeProperties
{
    public enum Step { Get, OpenAndAccept, OpenAndReject, Persist }

    public sealed record Operation(Step Step, uint Leaf, RatchetType Type, uint Generation);

    public sealed record Scenario(ushort Suite, byte[] EncryptionSecret, uint LeafCount, IReadOnlyList<Operation> Operations);

    // Operations on up to maxLeaves senders' ratchets, asking for generations up to maxGeneration.
    private static Gen<Scenario> Scenarios(ushort[] suites, int maxLeaves, int maxGeneration, int maxOperations) =>
        from suite in Gen.Elements(suites)
        from secret in Gen.ArrayOf(MlsGen.Byte, CipherSuite.Get(suite).HashLength)
        from leafCount in Gen.Choose(1, maxLeaves)
        from operations in Gen.ListOf(
            from step in Gen.Frequency((4, Gen.Constant(Step.Get)), (4, Gen.Constant(Step.OpenAndAccept)),
                (3, Gen.Constant(Step.OpenAndReject)), (1, Gen.Constant(Step.Persist)))
            from leaf in Gen.Choose(0, leafCount - 1)
            from type in Gen.Elements(RatchetType.Handshake, RatchetType.Application)
            from generation in Gen.Choose(0, maxGeneration)
            select new Operation(step, (uint)leaf, type, (uint)generation)).ScaleSize(s => Math.Min(s, maxOperations))
        select new Scenario(suite, secret, (uint)leafCount, operations.ToList());

    /// <summary>The model of one ratchet: generations below <see cref="Next"/> are usable only while retained; at most
    /// <see cref="SecretTree.MaxSkippedKeys"/> are retained, the oldest dropped first; at most
    /// <see cref="SecretTree.MaxForwardDistance"/> generations may be skipped at once.</summary>
    private sealed class RatchetModel
    {
        public uint Next { get; private set; }

        private readonly SortedSet<uint> _retained = [];

        public bool CanTake(uint generation)
            => generation >= Next ? generation - Next <= SecretTree.MaxForwardDistance : _retained.Contains(generation);

        public void Take(uint generation)
        {
            if (generation < Next)
            {
                _retained.Remove(generation);
                return;
            }
            for (uint g = Next; g < generation; g++)
            {
                _retained.Add(g);
            }
            while (_retained.Count > SecretTree.MaxSkippedKeys)
            {
                _retained.Remove(_retained.Min);
            }
            Next = generation + 1;
        }
    }

    /// <summary>The sender's keys as (key, nonce) hex pairs, derived in order as far as they are asked for.</summary>
    private sealed class SenderKeys(Scenario scenario) : IDisposable
    {
        private readonly SecretTree _sender = new(CipherSuite.Get(scenario.Suite), scenario.EncryptionSecret, scenario.LeafCount);
        private readonly Dictionary<(uint, RatchetType), List<(string, string)>> _keys = [];

        public (string Key, string Nonce) Get(uint leaf, RatchetType type, uint generation)
        {
            if (!_keys.TryGetValue((leaf, type), out var list))
            {
                _keys[(leaf, type)] = list = [];
            }
            while (list.Count <= generation)
            {
                using var key = _sender.NextForSending(new LeafIndex(leaf), type);
                list.Add((Convert.ToHexString(key.Key), Convert.ToHexString(key.Nonce)));
            }
            return list[(int)generation];
        }

        public void Dispose() => _sender.Dispose();
    }

    [Property(MaxTest = 150)]
    public Property A_receiver_gets_each_sender_key_once_in_any_order_and_failed_openings_change_nothing()
        => Prop.ForAll(Scenarios([1, 2, 4], maxLeaves: 6, maxGeneration: 24, maxOperations: 40).ToArbitrary(), Check);

    [Property(MaxTest = 20)]
    public Property Far_ahead_generations_keep_only_the_newest_skipped_keys_and_stay_within_the_forward_window()
        => Prop.ForAll(Scenarios([1], maxLeaves: 1, maxGeneration: (int)SecretTree.MaxForwardDistance + 100, maxOperations: 10).ToArbitrary(), Check);

    private static void Check(Scenario s)
    {
        var suite = CipherSuite.Get(s.Suite);
        using var expected = new SenderKeys(s);
        var models = new Dictionary<(uint, RatchetType), RatchetModel>();
        var tree = new SecretTree(suite, s.EncryptionSecret, s.LeafCount);
        try
        {
            foreach (var op in s.Operations)
            {
                var leaf = new LeafIndex(op.Leaf);
                if (op.Step == Step.Persist)
                {
                    var w = new TlsWriter();
                    tree.Encode(w);
                    byte[] stored = w.ToArray();
                    w.Clear();
                    tree.Dispose();
                    tree = TlsReader.Decode(stored, r => SecretTree.Decode(r, suite));
                    continue;
                }
                var model = models.TryGetValue((op.Leaf, op.Type), out var m) ? m : models[(op.Leaf, op.Type)] = new RatchetModel();
                (string Key, string Nonce)? seen = null;
                Action attempt = op.Step switch
                {
                    Step.Get => () =>
                    {
                        using var key = tree.GetForReceiving(leaf, op.Type, op.Generation);
                        Assert.Equal(op.Generation, key.Generation);
                        seen = (Convert.ToHexString(key.Key), Convert.ToHexString(key.Nonce));
                    },
                    _ => () =>
                    {
                        bool accept = op.Step == Step.OpenAndAccept;
                        bool opened = tree.TryOpen(leaf, op.Type, op.Generation, key =>
                        {
                            seen = (Convert.ToHexString(key.Key), Convert.ToHexString(key.Nonce));
                            return accept;
                        });
                        Assert.Equal(accept, opened);
                    },
                };
                if (!model.CanTake(op.Generation))
                {
                    var refused = Assert.Throws<MlsProtocolException>(attempt);
                    Assert.Contains(refused.Code, new[] { MlsError.GenerationUnavailable, MlsError.GenerationTooFarAhead });
                    Assert.Null(seen);
                    continue;
                }
                attempt();
                Assert.Equal(expected.Get(op.Leaf, op.Type, op.Generation), seen);
                if (op.Step != Step.OpenAndReject)
                {
                    model.Take(op.Generation);
                }
                Assert.Equal(model.Next, tree.NextGeneration(leaf, op.Type));
            }
        }
        finally
        {
            tree.Dispose();
        }
    }

    [Property(MaxTest = 100)]
    public Property Keys_and_nonces_of_distinct_leaves_types_and_generations_all_differ()
        => Prop.ForAll((from leaves in Gen.Choose(1, 9) from generations in Gen.Choose(1, 8) select (leaves, generations)).ToArbitrary(), t =>
        {
            var (leafCount, generations) = t;
            using var tree = new SecretTree(CipherSuite.Get(1), Enumerable.Repeat((byte)leafCount, 32).ToArray(), (uint)leafCount);
            var keys = new HashSet<string>();
            var nonces = new HashSet<string>();
            int count = 0;
            for (uint leaf = 0; leaf < leafCount; leaf++)
            {
                foreach (var type in new[] { RatchetType.Handshake, RatchetType.Application })
                {
                    for (int g = 0; g < generations; g++)
                    {
                        using var key = tree.NextForSending(new LeafIndex(leaf), type);
                        keys.Add(Convert.ToHexString(key.Key));
                        nonces.Add(Convert.ToHexString(key.Nonce));
                        count++;
                    }
                }
            }
            Assert.Equal(count, keys.Count);
            Assert.Equal(count, nonces.Count);
        });

    [Property(MaxTest = 200)]
    public Property A_generation_beyond_the_forward_window_is_refused_and_changes_nothing()
        => Prop.ForAll(MlsGen.UInt32.Where(g => g > SecretTree.MaxForwardDistance).ToArbitrary(), generation =>
        {
            using var tree = new SecretTree(CipherSuite.Get(1), new byte[32], 2);
            MlsAssert.Fails(MlsError.GenerationTooFarAhead, () => tree.GetForReceiving(new LeafIndex(1), RatchetType.Application, generation));
            MlsAssert.Fails(MlsError.GenerationTooFarAhead, () => tree.TryOpen(new LeafIndex(1), RatchetType.Application, generation, _ => true));
            Assert.Equal(0u, tree.NextGeneration(new LeafIndex(1), RatchetType.Application));
        });
}
