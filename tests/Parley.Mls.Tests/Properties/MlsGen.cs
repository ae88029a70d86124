// Generators of RFC 9420 wire structures (§5–§12) for the property tests: every field drawn at random
// within what the structure's encoding allows, so that decode(encode(x)) == x must hold for each value.
using FsCheck;
using FsCheck.Fluent;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using M = Parley.Mls.Messages;

namespace Parley.Mls.Tests.Properties;

/// <summary>FsCheck generators of MLS structures, built from generators of their fields.</summary>
internal static class MlsGen
{
    public static readonly Gen<byte> Byte = Gen.Choose(0, 255).Select(i => (byte)i);

    public static readonly Gen<ushort> UInt16 = Gen.Choose(0, ushort.MaxValue).Select(i => (ushort)i);

    public static readonly Gen<uint> UInt32 =
        Gen.Frequency(
            (3, Gen.Zip(UInt16, UInt16, (hi, lo) => ((uint)hi << 16) | lo)),
            (1, Gen.Elements(0u, 1u, 0x3Fu, 0x40u, 0x3FFFu, 0x4000u, 0x3FFF_FFFFu, 0x4000_0000u, uint.MaxValue)));

    public static readonly Gen<ulong> UInt64 =
        Gen.Frequency(
            (3, Gen.Zip(UInt32, UInt32, (hi, lo) => ((ulong)hi << 32) | lo)),
            (1, Gen.Elements(0UL, 1UL, uint.MaxValue, (ulong)uint.MaxValue + 1, ulong.MaxValue)));

    /// <summary>A random single-byte change to an encoding.</summary>
    public static readonly Gen<WireLaws.Mutation> Mutation =
        Gen.Zip(Gen.Choose(0, int.MaxValue), Byte, (position, value) => new WireLaws.Mutation(position, value));

    /// <summary>Byte strings of 0 to about 100 bytes (the size grows over a run), crossing the one-byte
    /// varint length limit of 63.</summary>
    public static readonly Gen<byte[]> Bytes = Gen.ArrayOf(Byte);

    /// <summary>Short byte strings, for fields nested inside lists.</summary>
    public static readonly Gen<byte[]> ShortBytes = Gen.ArrayOf(Byte).ScaleSize(s => Math.Min(s, 12));

    public static Gen<List<T>> ShortList<T>(Gen<T> item) => Gen.ListOf(item).ScaleSize(s => Math.Min(s, 4)).Select(l => l.ToList());

    public static readonly Gen<Extension> Extension = Gen.Zip(UInt16, ShortBytes, (t, d) => new Extension(t, d));

    /// <summary>An extension list without repeated types (RFC 9420 §13.4 forbids them).</summary>
    public static readonly Gen<IReadOnlyList<Extension>> Extensions =
        ShortList(Extension).Select(l => (IReadOnlyList<Extension>)l.DistinctBy(e => e.Type).ToList());

    public static readonly Gen<Capabilities> Capabilities =
        from versions in ShortList(UInt16)
        from suites in ShortList(UInt16)
        from extensions in ShortList(UInt16)
        from proposals in ShortList(UInt16)
        from credentials in ShortList(UInt16)
        select new Capabilities(versions, suites, extensions, proposals, credentials);

    public static readonly Gen<Lifetime> Lifetime = Gen.Zip(UInt64, UInt64, (a, b) => new Lifetime(a, b));

    public static readonly Gen<Credential> Credential =
        Gen.OneOf(
            Bytes.Select(M.Credential.Basic),
            ShortList(ShortBytes).Select(c => M.Credential.X509(c)));

    public static readonly Gen<Sender> Sender =
        Gen.OneOf(
            UInt32.Select(i => M.Sender.Member(new LeafIndex(i))),
            UInt32.Select(M.Sender.External),
            Gen.Constant(M.Sender.NewMemberProposal),
            Gen.Constant(M.Sender.NewMemberCommit));

    public static readonly Gen<LeafNode> LeafNode =
        from encryptionKey in ShortBytes
        from signatureKey in ShortBytes
        from credential in Credential
        from capabilities in Capabilities
        from source in Gen.Elements(LeafNodeSource.KeyPackage, LeafNodeSource.Update, LeafNodeSource.Commit)
        from lifetime in Lifetime
        from parentHash in ShortBytes
        from extensions in Extensions
        from signature in ShortBytes
        select new LeafNode(encryptionKey, signatureKey, credential, capabilities, source,
            source == LeafNodeSource.KeyPackage ? lifetime : null,
            source == LeafNodeSource.Commit ? parentHash : null,
            extensions, signature);

    public static readonly Gen<KeyPackage> KeyPackage =
        from suite in UInt16
        from initKey in ShortBytes
        from leaf in LeafNode
        from extensions in Extensions
        from signature in ShortBytes
        select new KeyPackage(M.GroupContext.Mls10, suite, initKey, leaf, extensions, signature);

    public static readonly Gen<PreSharedKeyId> PreSharedKeyId =
        Gen.OneOf(
            Gen.Zip(ShortBytes, ShortBytes, M.PreSharedKeyId.External),
            from usage in Gen.Elements(ResumptionPskUsage.Application, ResumptionPskUsage.ReInit, ResumptionPskUsage.Branch)
            from groupId in ShortBytes
            from epoch in UInt64
            from nonce in ShortBytes
            select M.PreSharedKeyId.Resumption(usage, groupId, epoch, nonce));

    public static readonly Gen<Proposal> Proposal =
        Gen.OneOf(
            KeyPackage.Select(kp => (Proposal)new Add(kp)),
            LeafNode.Select(l => (Proposal)new Update(l)),
            UInt32.Select(i => (Proposal)new Remove(new LeafIndex(i))),
            PreSharedKeyId.Select(p => (Proposal)new PreSharedKey(p)),
            from groupId in ShortBytes
            from version in UInt16
            from suite in UInt16
            from extensions in Extensions
            select (Proposal)new ReInit(groupId, version, suite, extensions),
            ShortBytes.Select(k => (Proposal)new ExternalInit(k)),
            Extensions.Select(e => (Proposal)new GroupContextExtensions(e)));

    public static readonly Gen<ProposalOrRef> ProposalOrRef =
        Gen.OneOf(Proposal.Select(p => new ProposalOrRef(p)), ShortBytes.Select(r => new ProposalOrRef(r)));

    public static readonly Gen<HpkeCiphertext> HpkeCiphertext = Gen.Zip(ShortBytes, ShortBytes, (k, c) => new HpkeCiphertext(k, c));

    public static readonly Gen<UpdatePath> UpdatePath =
        from leaf in LeafNode
        from nodes in ShortList(Gen.Zip(ShortBytes, ShortList(HpkeCiphertext), (k, c) => new UpdatePathNode(k, c)))
        select new UpdatePath(leaf, nodes);

    public static readonly Gen<Commit> Commit =
        from proposals in ShortList(ProposalOrRef)
        from path in Gen.OneOf(Gen.Constant<UpdatePath?>(null), UpdatePath.Select(p => (UpdatePath?)p))
        select new Commit(proposals, path);

    public static readonly Gen<GroupContext> GroupContext =
        from suite in UInt16
        from groupId in Bytes
        from epoch in UInt64
        from treeHash in Bytes
        from transcript in Bytes
        from extensions in Extensions
        select new GroupContext(suite, groupId, epoch, treeHash, transcript, extensions);

    public static readonly Gen<FramedContent> FramedContent =
        from groupId in ShortBytes
        from epoch in UInt64
        from sender in Sender
        from aad in ShortBytes
        from content in Gen.OneOf(
            Bytes.Select(d => (ContentType.Application, (byte[]?)d, (Proposal?)null, (Commit?)null)),
            Proposal.Select(p => (ContentType.Proposal, (byte[]?)null, (Proposal?)p, (Commit?)null)),
            Commit.Select(c => (ContentType.Commit, (byte[]?)null, (Proposal?)null, (Commit?)c)))
        select new FramedContent(groupId, epoch, sender, aad, content.Item1, content.Item2, content.Item3, content.Item4);

    /// <summary>A public message: a confirmation tag exactly for commits, a membership tag exactly for members (§6.2).</summary>
    public static readonly Gen<PublicMessage> PublicMessage =
        from content in FramedContent
        from signature in ShortBytes
        from confirmationTag in ShortBytes
        from membershipTag in ShortBytes
        select new PublicMessage(content,
            new FramedContentAuthData(signature, content.ContentType == ContentType.Commit ? confirmationTag : null),
            content.Sender.Type == SenderType.Member ? membershipTag : null);

    public static readonly Gen<MlsMessage> PrivateMessage =
        from groupId in ShortBytes
        from epoch in UInt64
        from contentType in Gen.Elements(ContentType.Application, ContentType.Proposal, ContentType.Commit)
        from aad in ShortBytes
        from senderData in ShortBytes
        from ciphertext in Bytes
        select new MlsMessage(new PrivateMessage(groupId, epoch, contentType, aad, senderData, ciphertext));

    public static readonly Gen<Welcome> Welcome =
        from suite in UInt16
        from secrets in ShortList(Gen.Zip(ShortBytes, HpkeCiphertext, (member, c) => new EncryptedGroupSecrets(member, c)))
        from groupInfo in Bytes
        select new Welcome(suite, secrets, groupInfo);

    public static readonly Gen<GroupInfo> GroupInfo =
        from context in GroupContext
        from extensions in Extensions
        from tag in ShortBytes
        from signer in UInt32
        from signature in ShortBytes
        select new GroupInfo(context, extensions, tag, new LeafIndex(signer), signature);

    public static readonly Gen<GroupSecrets> GroupSecrets =
        from joiner in ShortBytes
        from pathSecret in Gen.OneOf(Gen.Constant<PathSecret?>(null), ShortBytes.Select(p => (PathSecret?)new PathSecret(p)))
        from psks in ShortList(PreSharedKeyId)
        select new GroupSecrets(joiner, pathSecret, psks);

    public static readonly Gen<RequiredCapabilities> RequiredCapabilities =
        from extensions in ShortList(UInt16)
        from proposals in ShortList(UInt16)
        from credentials in ShortList(UInt16)
        select new RequiredCapabilities(extensions, proposals, credentials);

    public static readonly Gen<ExternalSender> ExternalSender = Gen.Zip(ShortBytes, Credential, (key, c) => new ExternalSender(key, c));

    public static readonly Gen<Node> Node =
        Gen.OneOf(
            LeafNode.Select(l => new Node(l)),
            from key in ShortBytes
            from parentHash in ShortBytes
            from unmerged in ShortList(UInt32.Select(i => new LeafIndex(i)))
            select new Node(new ParentNode(key, parentHash, unmerged)));
}
