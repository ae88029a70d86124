// RFC 9420 §12.4.3.1 (joining via Welcome message), §12.4.3.3 (the ratchet_tree extension), and §11.2-§11.3
// (joining a reinitialized or branched group).
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Framing;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Group;

/// <summary>A new member's processing of a Welcome: decrypting its GroupSecrets and GroupInfo,
/// checking the ratchet tree and building the group state of the epoch it joins.</summary>
internal static class WelcomeJoin
{
    /// <summary>Finds this key package's entry in the Welcome, decrypts the GroupSecrets with the init
    /// key, resolves the PSKs and decrypts the GroupInfo. A Welcome with a reinit or branch PSK needs the
    /// <paramref name="link"/> to the old group, and one joined through a link must carry its PSK. The
    /// caller wipes <paramref name="pskSecret"/> and the joiner secret in the returned GroupSecrets.</summary>
    public static (GroupSecrets Secrets, GroupInfo GroupInfo) Decrypt(Welcome welcome, KeyPackageBundle keyPackage, MlsGroupOptions options,
        out byte[] pskSecret, ResumptionLink? link = null)
    {
        var suite = keyPackage.Suite;
        if (welcome.CipherSuite != suite.Id)
        {
            throw new MlsProtocolException(MlsError.WelcomeNotForKeyPackage, $"The Welcome is for cipher suite {welcome.CipherSuite}, the key package for {suite.Id}.");
        }
        byte[] ownRef = keyPackage.Ref;
        var entry = welcome.Secrets.FirstOrDefault(s => s.NewMember.AsSpan().SequenceEqual(ownRef))
            ?? throw new MlsProtocolException(MlsError.WelcomeNotForKeyPackage, "The Welcome holds no group secrets for this key package.");

        byte[] plaintext = suite.DecryptWithLabel(keyPackage.InitPrivateKey, "Welcome", welcome.EncryptedGroupInfo,
            entry.EncryptedSecrets.KemOutput, entry.EncryptedSecrets.Ciphertext);
        GroupSecrets groupSecrets;
        try
        {
            groupSecrets = TlsReader.Decode(plaintext, GroupSecrets.Decode);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
        try
        {
            if (groupSecrets.JoinerSecret.Length != suite.HashLength)
            {
                throw new MlsProtocolException(MlsError.WelcomeUndecryptable, "The Welcome's joiner secret has the wrong length.");
            }
            CheckPsks(suite, groupSecrets.Psks, link);
            pskSecret = PskResolution.ComputePskSecret(suite, groupSecrets.Psks, null, options, link);
        }
        catch
        {
            Wipe(groupSecrets);
            throw;
        }
        byte[] welcomeSecret = EpochKeySchedule.WelcomeSecret(suite, groupSecrets.JoinerSecret, pskSecret);
        var (key, nonce) = EpochKeySchedule.WelcomeKeyAndNonce(suite, welcomeSecret);
        try
        {
            byte[] groupInfoBytes = suite.AeadOpen(key, nonce, ReadOnlySpan<byte>.Empty, welcome.EncryptedGroupInfo)
                ?? throw new MlsProtocolException(MlsError.WelcomeUndecryptable, "The Welcome's GroupInfo does not decrypt.");
            var groupInfo = TlsReader.Decode(groupInfoBytes, GroupInfo.Decode);
            return (groupSecrets, groupInfo);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(pskSecret);
            Wipe(groupSecrets);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(welcomeSecret);
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(nonce);
        }
    }

    // RFC 9420 §12.4.3.1: PSK nonces of KDF.Nh bytes; a reinit or branch PSK is the only PSK, and only
    // accepted when joining through the link to its group (RFC 9420 §11.2, §11.3).
    private static void CheckPsks(Crypto.CipherSuite suite, IReadOnlyList<PreSharedKeyId> psks, ResumptionLink? link)
    {
        if (psks.Count == 0 && link is not null)
        {
            throw new MlsProtocolException(MlsError.WelcomeLinkMismatch, "The Welcome carries no PSK: it does not lead into a group linked to this one.");
        }
        if (psks.Count == 0)
        {
            return;
        }
        ResumptionPskUsage? special = null;
        foreach (var psk in psks)
        {
            if (psk.PskNonce.Length != suite.HashLength)
            {
                throw new MlsProtocolException(MlsError.PskNonceLength, $"A PSK nonce must be KDF.Nh = {suite.HashLength} bytes.");
            }
            if (psk.Type == PskType.Resumption && psk.Usage is ResumptionPskUsage.ReInit or ResumptionPskUsage.Branch)
            {
                special = psk.Usage;
            }
        }
        if (special is not null && psks.Count > 1)
        {
            throw new MlsProtocolException(MlsError.LinkedPskInvalid, "A reinit or branch resumption PSK must be the only PSK of a Welcome.");
        }
        if (link is not null)
        {
            link.CheckWelcomePsks(psks);
        }
        else if (special is { } usage)
        {
            throw new MlsProtocolException(MlsError.WelcomeLinkMismatch, usage == ResumptionPskUsage.ReInit
                ? "The Welcome leads into a reinitialized group: join it with JoinReInitGroup on the old group."
                : "The Welcome leads into a branch of another group: join it with JoinBranch on that group.");
        }
    }

    private static void Wipe(GroupSecrets groupSecrets)
    {
        CryptographicOperations.ZeroMemory(groupSecrets.JoinerSecret);
        if (groupSecrets.PathSecret is not null)
        {
            CryptographicOperations.ZeroMemory(groupSecrets.PathSecret.Secret);
        }
    }

    /// <summary>Joins the group a Welcome invites <paramref name="keyPackage"/> to. The tree comes from
    /// the GroupInfo's ratchet_tree extension or, when absent, from <paramref name="ratchetTree"/>. Through a
    /// <paramref name="link"/>, also checks the new group against the old one (RFC 9420 §12.4.3.1).</summary>
    public static GroupState Join(Welcome welcome, KeyPackageBundle keyPackage, IReadOnlyList<Node?>? ratchetTree, MlsGroupOptions options,
        ResumptionLink? link = null)
    {
        var suite = keyPackage.Suite;
        var (groupSecrets, groupInfo) = Decrypt(welcome, keyPackage, options, out byte[] pskSecret, link);
        TreePrivateKeys? keys = null;
        EpochSecrets? secrets = null;
        try
        {
            var context = groupInfo.GroupContext;
            if (context.CipherSuite != suite.Id)
            {
                throw new MlsProtocolException(MlsError.WelcomeNotForKeyPackage, "The GroupInfo's cipher suite differs from the key package's.");
            }
            var tree = LoadTree(suite, groupInfo, ratchetTree);
            VerifyGroupInfo(groupInfo, tree, options);

            var ownLeaf = tree.FindLeaf(keyPackage.KeyPackage.LeafNode)
                ?? throw new MlsProtocolException(MlsError.WelcomeNoOwnLeaf, "The ratchet tree has no leaf for this key package.");
            keys = new TreePrivateKeys(ownLeaf);
            keys.SetPrivateKey(ownLeaf.Node, keyPackage.EncryptionPrivateKey);
            if (groupSecrets.PathSecret is { } pathSecret)
            {
                TreeKem.ImportPathSecret(tree, groupInfo.Signer, pathSecret.Secret, keys);
            }

            secrets = EpochKeySchedule.FromJoinerSecret(suite, groupSecrets.JoinerSecret, pskSecret, context);
            if (!secrets.VerifyConfirmationTag(context.ConfirmedTranscriptHash, groupInfo.ConfirmationTag))
            {
                throw new MlsProtocolException(MlsError.GroupInfoConfirmationTagInvalid, "The GroupInfo's confirmation tag is invalid.");
            }
            secrets.DeleteTransitionSecrets();
            link?.VerifyNewGroup(groupSecrets.Psks[0], context, tree, options.CredentialValidator);
            byte[] interim = TranscriptHash.Interim(suite, context.ConfirmedTranscriptHash, groupInfo.ConfirmationTag);
            var history = GroupState.ExtendHistory([], context.Epoch, secrets.ExportResumptionPsk(), options.ResumptionPskHistory);
            var state = new GroupState(suite, context, tree, ownLeaf, keys, keyPackage.SignaturePrivateKey.ToArray(), secrets,
                secrets.CreateSecretTree(tree.LeafCount), interim, (byte[])groupInfo.ConfirmationTag.Clone(), new ProposalCache(), history);
            keys = null;
            secrets = null;
            return state;
        }
        finally
        {
            keys?.Dispose();
            secrets?.Dispose();
            CryptographicOperations.ZeroMemory(pskSecret);
            Wipe(groupSecrets);
        }
    }

    /// <summary>The tree from the GroupInfo's ratchet_tree extension, else the one supplied.</summary>
    public static RatchetTree LoadTree(Crypto.CipherSuite suite, GroupInfo groupInfo, IReadOnlyList<Node?>? supplied)
    {
        try
        {
            if (GroupExtensions.Find(groupInfo.Extensions, ExtensionType.RatchetTree) is { } extension)
            {
                return RatchetTree.Decode(suite, extension.Data);
            }
        }
        catch (MlsDecodeException e)
        {
            throw new MlsProtocolException(MlsError.RatchetTreeMissing, $"The GroupInfo's ratchet_tree extension is malformed: {e.Message}");
        }
        return supplied is not null
            ? RatchetTree.FromNodes(suite, supplied)
            : throw new MlsProtocolException(MlsError.RatchetTreeMissing, "The GroupInfo carries no ratchet tree and none was supplied.");
    }

    /// <summary>Checks a GroupInfo and the tree that comes with it (RFC 9420 §12.4.3.1): the signature by
    /// the signer's leaf, the tree hash, parent hashes, unmerged leaves, unique keys and every leaf node.</summary>
    public static void VerifyGroupInfo(GroupInfo groupInfo, RatchetTree tree, MlsGroupOptions options)
    {
        var suite = tree.Suite;
        var context = groupInfo.GroupContext;
        var signer = tree.GetLeaf(groupInfo.Signer) ?? throw new MlsProtocolException(MlsError.GroupInfoSignatureInvalid, "The GroupInfo's signer is not a member of the tree.");
        if (!groupInfo.Verify(suite, signer.SignatureKey))
        {
            throw new MlsProtocolException(MlsError.GroupInfoSignatureInvalid, "The GroupInfo's signature is invalid.");
        }
        GroupExtensions.CheckWellFormed(context.Extensions);
        TreeValidation.Validate(tree, context.TreeHash, context.GroupId);
        foreach (var (index, leaf) in tree.EnumerateLeaves())
        {
            // Signatures were checked by the tree validation; lifetimes of leaves already in a group are not.
            LeafNodeValidation.Validate(suite, leaf, leaf.Source, context.Extensions, options with { Now = null }, context.GroupId, index,
                checkSignature: false);
        }
        LeafNodeValidation.CheckCredentialTypes(tree);
    }
}
