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
    private const int MaxGeneration = 24;

    public enum Step { Get, OpenAndAccept, OpenAndReject, Persist }

    public sealed record Operation(Step Step, uint Leaf, RatchetType Type, uint Generation);

    public sealed record Scenario(ushort Suite, byte[] EncryptionSecret, uint LeafCount, IReadOnlyList<Operation> Operations);

    private static readonly Gen<Scenario> Scenarios =
        from suite in Gen.Elements((ushort)1, (ushort)2, (ushort)4)
        from secret in Gen.ArrayOf(MlsGen.Byte, CipherSuite.Get(suite).HashLength)
        from leafCount in Gen.Choose(1, 6)
        from operations in Gen.ListOf(
            from step in Gen.Frequency((4, Gen.Constant(Step.Get)), (4, Gen.Constant(Step.OpenAndAccept)),
                (3, Gen.Constant(Step.OpenAndReject)), (1, Gen.Constant(Step.Persist)))
            from leaf in Gen.Choose(0, leafCount - 1)
            from type in Gen.Elements(RatchetType.Handshake, RatchetType.Application)
            from generation in Gen.Choose(0, MaxGeneration)
            select new Operation(step, (uint)leaf, type, (uint)generation)).ScaleSize(s => Math.Min(s, 40))
        select new Scenario(suite, secret, (uint)leafCount, operations.ToList());

    /// <summary>The model of one ratchet: generations below <see cref="Next"/> are usable only while retained.</summary>
    private sealed class RatchetModel
    {
        public uint Next { get; set; }

        public SortedSet<uint> Retained { get; } = [];

        public bool CanTake(uint generation) => generation >= Next || Retained.Contains(generation);

        public void Take(uint generation)
        {
            if (generation >= Next)
            {
                for (uint g = Next; g < generation; g++)
                {
                    Retained.Add(g);
                }
                Next = generation + 1;
            }
            else
            {
                Retained.Remove(generation);
            }
        }
    }

    // The sender's keys, in order, as (key, nonce) hex pairs.
    private static Dictionary<(uint, RatchetType), List<(string Key, string Nonce)>> SenderKeys(Scenario s)
    {
        using var sender = new SecretTree(CipherSuite.Get(s.Suite), s.EncryptionSecret, s.LeafCount);
        var keys = new Dictionary<(uint, RatchetType), List<(string, string)>>();
        foreach (var (leaf, type) in s.Operations.Select(o => (o.Leaf, o.Type)).Distinct())
        {
            var list = new List<(string, string)>();
            for (int g = 0; g <= MaxGeneration; g++)
            {
                using var key = sender.NextForSending(new LeafIndex(leaf), type);
                list.Add((Convert.ToHexString(key.Key), Convert.ToHexString(key.Nonce)));
            }
            keys[(leaf, type)] = list;
        }
        return keys;
    }

    [Property(MaxTest = 150)]
    public Property A_receiver_gets_each_sender_key_once_in_any_order_and_failed_openings_change_nothing()
        => Prop.ForAll(Scenarios.ToArbitrary(), s =>
        {
            var suite = CipherSuite.Get(s.Suite);
            var expected = SenderKeys(s);
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
                        Assert.Throws<MlsProtocolException>(attempt);
                        Assert.Null(seen);
                        continue;
                    }
                    attempt();
                    Assert.Equal(expected[(op.Leaf, op.Type)][(int)op.Generation], seen);
                    if (op.Step != Step.OpenAndReject)
                    {
                        model.Take(op.Generation);
                    }
                }
            }
            finally
            {
                tree.Dispose();
            }
        });

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
            Assert.Throws<MlsProtocolException>(() => tree.GetForReceiving(new LeafIndex(1), RatchetType.Application, generation));
            Assert.Throws<MlsProtocolException>(() => tree.TryOpen(new LeafIndex(1), RatchetType.Application, generation, _ => true));
            Assert.Equal(0u, tree.NextGeneration(new LeafIndex(1), RatchetType.Application));
        });
}
