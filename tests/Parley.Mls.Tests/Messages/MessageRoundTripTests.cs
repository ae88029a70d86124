// RFC 9420 §7.2, §10, §12.4: decode(encode(x)) == x for randomly generated structures.
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Messages;

public sealed class MessageRoundTripTests
{
    private const int Iterations = 300;

    [Fact]
    public void Random_leaf_nodes_survive_a_round_trip()
    {
        var gen = new Generator(1);
        for (int i = 0; i < Iterations; i++)
        {
            AssertRoundTrip(gen.LeafNode(), LeafNode.Decode);
        }
    }

    [Fact]
    public void Random_key_packages_survive_a_round_trip()
    {
        var gen = new Generator(2);
        for (int i = 0; i < Iterations; i++)
        {
            var keyPackage = gen.KeyPackage();
            AssertRoundTrip(keyPackage, KeyPackage.Decode);
            AssertRoundTrip(new MlsMessage(keyPackage), MlsMessage.Decode);
        }
    }

    [Fact]
    public void Random_commits_survive_a_round_trip()
    {
        var gen = new Generator(3);
        for (int i = 0; i < Iterations; i++)
        {
            var commit = gen.Commit();
            AssertRoundTrip(commit, Commit.Decode);
            var framed = FramedContent.ForCommit(gen.Bytes(16), gen.UInt64(), gen.Sender(), gen.Bytes(8), commit);
            var auth = new FramedContentAuthData(gen.Bytes(64), gen.Bytes(32));
            var publicMessage = new PublicMessage(framed, auth, framed.Sender.Type == SenderType.Member ? gen.Bytes(32) : null);
            AssertRoundTrip(new MlsMessage(publicMessage), MlsMessage.Decode);
            AssertRoundTrip(new AuthenticatedContent(WireFormat.MlsPrivateMessage, framed, auth), AuthenticatedContent.Decode);
        }
    }

    [Fact]
    public void Random_private_message_contents_survive_a_round_trip()
    {
        var gen = new Generator(4);
        for (int i = 0; i < Iterations; i++)
        {
            var proposal = gen.Proposal();
            var content = new PrivateMessageContent(ContentType.Proposal, null, proposal, null,
                new FramedContentAuthData(gen.Bytes(64), null), gen.Int(0, 600));
            byte[] bytes = content.ToBytes();
            Assert.Equal(content, PrivateMessageContent.Decode(bytes, ContentType.Proposal));
        }
    }

    private static void AssertRoundTrip<T>(T value, Func<TlsReader, T> decode) where T : IMlsEncodable
    {
        byte[] bytes = value.ToBytes();
        T decoded = TlsReader.Decode(bytes, decode);
        Assert.Equal(value, decoded);
        Assert.Equal(bytes, decoded.ToBytes());
    }

    /// <summary>Seeded generator of syntactically valid structures of every shape.</summary>
    private sealed class Generator(int seed)
    {
        private readonly Random _random = new(seed);

        public int Int(int min, int max) => _random.Next(min, max);

        public ulong UInt64() => (ulong)_random.NextInt64();

        public uint UInt32() => (uint)_random.NextInt64(0, 1L << 32);

        // Lengths straddle the 1-, 2- and 4-byte varint boundaries now and then.
        public byte[] Bytes(int typical)
        {
            int length = _random.Next(20) switch
            {
                0 => 0,
                1 => 63,
                2 => 64,
                3 => _random.Next(16_380, 16_390),
                _ => _random.Next(typical + 1),
            };
            byte[] b = new byte[length];
            _random.NextBytes(b);
            return b;
        }

        private List<T> List<T>(int max, Func<T> item) => Enumerable.Range(0, _random.Next(max + 1)).Select(_ => item()).ToList();

        private ushort UInt16() => (ushort)_random.Next(0x10000);

        public Credential Credential()
            => _random.Next(2) == 0 ? Parley.Mls.Messages.Credential.Basic(Bytes(12)) : Parley.Mls.Messages.Credential.X509(List(3, () => Bytes(40)));

        public List<Extension> Extensions()
        {
            var types = Enumerable.Range(0, _random.Next(4)).Select(_ => UInt16()).Distinct();
            return types.Select(t => new Extension(t, Bytes(20))).ToList();
        }

        public LeafNode LeafNode()
        {
            var source = (LeafNodeSource)_random.Next(1, 4);
            return new LeafNode(
                Bytes(32),
                Bytes(32),
                Credential(),
                new Capabilities(List(2, UInt16), List(7, UInt16), List(3, UInt16), List(3, UInt16), List(2, UInt16)),
                source,
                source == LeafNodeSource.KeyPackage ? new Lifetime(UInt64(), UInt64()) : null,
                source == LeafNodeSource.Commit ? Bytes(32) : null,
                Extensions(),
                Bytes(64));
        }

        public KeyPackage KeyPackage()
            => new(ProtocolVersion.Mls10, UInt16(), Bytes(32), LeafNode(), Extensions(), Bytes(64));

        public Sender Sender() => _random.Next(4) switch
        {
            0 => Parley.Mls.Messages.Sender.Member(new LeafIndex(UInt32())),
            1 => Parley.Mls.Messages.Sender.External(UInt32()),
            2 => Parley.Mls.Messages.Sender.NewMemberProposal,
            _ => Parley.Mls.Messages.Sender.NewMemberCommit,
        };

        public PreSharedKeyId Psk()
            => _random.Next(2) == 0
                ? PreSharedKeyId.External(Bytes(16), Bytes(32))
                : PreSharedKeyId.Resumption((ResumptionPskUsage)_random.Next(1, 4), Bytes(16), UInt64(), Bytes(32));

        public Proposal Proposal() => _random.Next(7) switch
        {
            0 => new Add(KeyPackage()),
            1 => new Update(LeafNode()),
            2 => new Remove(new LeafIndex(UInt32())),
            3 => new PreSharedKey(Psk()),
            4 => new ReInit(Bytes(16), ProtocolVersion.Mls10, UInt16(), Extensions()),
            5 => new ExternalInit(Bytes(32)),
            _ => new GroupContextExtensions(Extensions()),
        };

        public Commit Commit()
        {
            var proposals = List(4, () => _random.Next(2) == 0 ? new ProposalOrRef(Proposal()) : new ProposalOrRef(Bytes(32)));
            UpdatePath? path = _random.Next(2) == 0
                ? null
                : new UpdatePath(LeafNode(), List(4, () => new UpdatePathNode(Bytes(32), List(3, () => new HpkeCiphertext(Bytes(32), Bytes(48))))));
            return new Commit(proposals, path);
        }
    }
}
