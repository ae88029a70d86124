// Fuzz targets of Parley.Mls: everything an MLSMessage carries (RFC 9420 §6) and the saved group state.
// The contract of every MLS decoder and check is MlsException: MlsDecodeException for bytes that do not
// decode, MlsProtocolException for a structure that decodes but breaks a rule.
using ClientChannelExtension = Parley.Client.Channels.ChannelExtension;
using Parley.Client.Groups;
using Parley.Mls;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Parley.Server.Accounts;
using Parley.Server.Channels;
using Parley.Server.Devices;
using Parley.Server.Franking;
using Parley.Server.KeyPackages;

namespace Parley.Fuzz.Targets;

internal static class MlsTargets
{
    private static readonly byte[] FuzzGroupId = "parley fuzz group"u8.ToArray();
    private static readonly DateTimeOffset FuzzNow = DateTimeOffset.FromUnixTimeSeconds(1_780_000_000);

    // Any 32 bytes serve as an account identity key: the targets check that verifying a binding never throws.
    private static readonly byte[] FuzzIdentityKey = System.Security.Cryptography.SHA256.HashData("parley fuzz identity key"u8);

    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget("mls-message",
            "MLSMessage (RFC 9420 §6): PublicMessage, PrivateMessage, Welcome, GroupInfo, KeyPackage, and the commits, "
            + "proposals and update paths inside; an accepted input must encode back to the same bytes; the server's read "
            + "of a franking commitment from a PrivateMessage header",
            MlsMessageTarget);
        yield return new FuzzTarget("key-package",
            "KeyPackage (§10) with its leaf node, credential, capabilities and extensions (Parley's account binding); "
            + "signature and §10.1 validation; the server's checks of a key package upload (device and channel join)",
            KeyPackageTarget);
        yield return new FuzzTarget("welcome",
            "Welcome (§12.4.3.1) and the GroupSecrets a joiner decrypts from it",
            WelcomeTarget);
        yield return new FuzzTarget("group-info",
            "GroupInfo (§12.4.3) and its ratchet_tree, external_pub, external_senders, required_capabilities and channel extensions",
            GroupInfoTarget);
        yield return new FuzzTarget("ratchet-tree",
            "a cipher suite (uint16) then a ratchet_tree extension (§12.4.3.3), built into a tree and validated (§12.4.3.1, §7.9.2), "
            + "with each leaf's account binding",
            RatchetTreeTarget);
        yield return new FuzzTarget("proposal",
            "Proposal and ProposalOrRef (§12.1): Add, Update, Remove, PreSharedKey, ReInit, ExternalInit, GroupContextExtensions",
            ProposalTarget);
        yield return new FuzzTarget("commit",
            "Commit with its proposals and UpdatePath (§12.4, §7.6)",
            CommitTarget);
        yield return new FuzzTarget("private-content",
            "a content type octet then a decrypted PrivateMessageContent with padding (§6.3.1); and SenderData (§6.3.2)",
            PrivateContentTarget);
        yield return new FuzzTarget("pq-kem",
            "a post-quantum suite selector octet (79, 80, 83, 84) then bytes read both as an HPKECiphertext (§5.1.3: "
            + "kem_output, ciphertext) to DecryptWithLabel with a fixed key, and as an ML-KEM-768 or X-Wing public key to "
            + "EncryptWithLabel to; wrong lengths, unreduced keys and undecapsulable outputs are MlsProtocolExceptions",
            PostQuantumKemTarget);
        yield return new FuzzTarget("group-state",
            "a member's saved group state (MlsGroup.Restore): tree, private keys, epoch secrets, ratchets, pending commit",
            GroupStateTarget);
    }

    /// <summary>The post-quantum suites pq-kem exercises; its first input octet picks one (modulo their count).</summary>
    internal static readonly ushort[] PostQuantumSuites = [79, 80, 83, 84];

    /// <summary>The fixed recipient key of pq-kem for <paramref name="suite"/>: derived from a constant seed.</summary>
    internal static HpkeKeyPair PostQuantumRecipient(CipherSuite suite) => suite.Hpke.DeriveKeyPair(new byte[suite.HashLength]);

    private static void PostQuantumKemTarget(byte[] input)
    {
        if (input.Length < 1 || !CipherSuite.TryGet(PostQuantumSuites[input[0] % PostQuantumSuites.Length], out var suite))
        {
            return;
        }
        ReadOnlySpan<byte> rest = input.AsSpan(1);
        var ciphertext = Expect.Only<MlsException, HpkeCiphertext>(() => TlsReader.Decode(input.AsMemory(1), HpkeCiphertext.Decode));
        if (ciphertext is not null)
        {
            RoundTrip(input[1..], ciphertext);
            var recipient = PostQuantumRecipient(suite);
            Expect.Only<MlsException>(() => suite.DecryptWithLabel(recipient.PrivateKey, "Welcome", "pq-kem"u8, ciphertext.KemOutput, ciphertext.Ciphertext));
        }
        byte[] publicKey = rest.ToArray();
        var sealedTo = Expect.Only<MlsException, HpkeCiphertext>(() => suite.EncryptWithLabel(publicKey, "Welcome", "pq-kem"u8, "secret"u8));
        Expect.That(sealedTo is null || (publicKey.Length == suite.Hpke.PublicKeyLength && sealedTo.KemOutput.Length == suite.Hpke.EncapsulatedKeyLength),
            "A post-quantum public key of the wrong length was encrypted to, or the KEM output has the wrong length.");
        if (suite.Hpke.KemId == MlKem768.KemId)
        {
            Expect.That((sealedTo is not null) == MlKem768.IsValidEncapsulationKey(publicKey),
                "Encapsulation to an ML-KEM-768 key disagrees with the FIPS 203 key check.");
        }
    }

    private static void MlsMessageTarget(byte[] input)
    {
        var message = Expect.Only<MlsException, MlsMessage>(() => MlsMessage.Decode(input));
        if (message is not null)
        {
            RoundTrip(input, message);
        }
        FrankedMessage.TryReadCommitment(input, out _);
    }

    private static void KeyPackageTarget(byte[] input)
    {
        var keyPackage = Expect.Only<MlsException, KeyPackage>(() => TlsReader.Decode(input, KeyPackage.Decode));
        if (keyPackage is null)
        {
            return;
        }
        RoundTrip(input, keyPackage);
        if (CipherSuite.TryGet(keyPackage.CipherSuite, out var suite))
        {
            Expect.Only<MlsException>(() => keyPackage.Verify(suite));
            Expect.Only<MlsException>(() => keyPackage.Ref(suite));
            Expect.Only<MlsException>(() => LeafNodeValidation.ValidateKeyPackage(suite, keyPackage, [], MlsGroupOptions.Default));
        }
        CheckAccountBinding(keyPackage.CipherSuite, keyPackage.LeafNode);
        // The server's upload checks answer with a sentence, never an exception. The device is the one the key package
        // names, holding its signature key, so that the checks go past the identity match.
        byte[] upload = TlsWriter.Encode(new MlsMessage(keyPackage).Encode);
        var leaf = keyPackage.LeafNode;
        var deviceId = DeviceId.FromSignatureKey(leaf.SignatureKey);
        if (leaf.Credential.Type == CredentialType.Basic && DeviceId.TryFromCredentialIdentity(leaf.Credential.Identity, out var named))
        {
            deviceId = named;
        }
        var device = new Device(deviceId,
            new AccountId("fuzz"), keyPackage.CipherSuite, leaf.SignatureKey, [], Revoked: false);
        // As a one-time package and as a last-resort one (each has its own rule on the last_resort extension).
        KeyPackageRules.Validate(upload, device, FuzzNow, lastResort: false);
        KeyPackageRules.Validate(upload, device, FuzzNow, lastResort: true);
        JoinKeyPackageRules.Validate(upload, keyPackage.CipherSuite, FuzzNow);
    }

    private static void WelcomeTarget(byte[] input)
    {
        var welcome = Expect.Only<MlsException, Welcome>(() => TlsReader.Decode(input, Welcome.Decode));
        if (welcome is not null)
        {
            RoundTrip(input, welcome);
        }
        var secrets = Expect.Only<MlsException, GroupSecrets>(() => TlsReader.Decode(input, GroupSecrets.Decode));
        if (secrets is not null)
        {
            RoundTrip(input, secrets);
        }
    }

    private static void GroupInfoTarget(byte[] input)
    {
        var groupInfo = Expect.Only<MlsException, GroupInfo>(() => TlsReader.Decode(input, GroupInfo.Decode));
        if (groupInfo is null)
        {
            return;
        }
        RoundTrip(input, groupInfo);
        if (!CipherSuite.TryGet(groupInfo.GroupContext.CipherSuite, out var suite))
        {
            return;
        }
        foreach (var extension in groupInfo.Extensions.Concat(groupInfo.GroupContext.Extensions))
        {
            switch (extension.Type)
            {
                case ExtensionType.RatchetTree:
                    var tree = Expect.Only<MlsException, RatchetTree>(() => RatchetTree.Decode(suite, extension.Data));
                    if (tree is not null && groupInfo.Signer.Value < tree.LeafCount && tree.GetLeaf(groupInfo.Signer) is { } signer)
                    {
                        Expect.Only<MlsException>(() => groupInfo.Verify(suite, signer.SignatureKey));
                        Expect.Only<MlsException>(() => TreeValidation.Validate(tree, groupInfo.GroupContext.TreeHash, groupInfo.GroupContext.GroupId));
                    }
                    break;
                case ExtensionType.ExternalPub:
                    Expect.Only<MlsException>(() => TlsReader.Decode(extension.Data, ExternalPub.Decode));
                    break;
                case ExtensionType.ExternalSenders:
                    Expect.Only<MlsException>(() => ExternalSender.DecodeList(extension.Data));
                    break;
                case ExtensionType.RequiredCapabilities:
                    Expect.Only<MlsException>(() => TlsReader.Decode(extension.Data, RequiredCapabilities.Decode));
                    break;
                case ClientChannelExtension.ExtensionType:
                    ClientChannelExtension.TryDecode(extension.Data);
                    break;
            }
        }
    }

    private static void RatchetTreeTarget(byte[] input)
    {
        if (input.Length < 2 || !CipherSuite.TryGet((ushort)(input[0] << 8 | input[1]), out var suite))
        {
            return;
        }
        var tree = Expect.Only<MlsException, RatchetTree>(() => RatchetTree.Decode(suite, input.AsMemory(2)));
        if (tree is null)
        {
            return;
        }
        Expect.That(TlsWriter.Encode(tree.Encode).AsSpan().SequenceEqual(input.AsSpan(2)), "The ratchet tree does not encode back to its input.");
        // The tree's own hash as the expected one, so that validation goes on to keys, unmerged leaves,
        // parent hashes and signatures.
        Expect.Only<MlsException>(() => TreeValidation.Validate(tree, tree.TreeHash(), FuzzGroupId));
        foreach (var (_, leaf) in tree.EnumerateLeaves())
        {
            CheckAccountBinding(suite.Id, leaf);
        }
    }

    // Parley's leaf extension 0xF0A1, read from every leaf a client sees; reading and verifying it never throws.
    private static void CheckAccountBinding(ushort cipherSuite, LeafNode leaf)
    {
        if (AccountBinding.Of(leaf) is { } binding)
        {
            binding.Verifies(FuzzIdentityKey, cipherSuite, leaf.SignatureKey);
            binding.Verifies(leaf.SignatureKey, cipherSuite, leaf.SignatureKey);
        }
    }

    private static void ProposalTarget(byte[] input)
    {
        var proposal = Expect.Only<MlsException, Proposal>(() => TlsReader.Decode(input, Proposal.Decode));
        if (proposal is not null)
        {
            RoundTrip(input, proposal);
        }
        var proposalOrRef = Expect.Only<MlsException, ProposalOrRef>(() => TlsReader.Decode(input, ProposalOrRef.Decode));
        if (proposalOrRef is not null)
        {
            RoundTrip(input, proposalOrRef);
        }
    }

    private static void CommitTarget(byte[] input)
    {
        var commit = Expect.Only<MlsException, Commit>(() => TlsReader.Decode(input, Commit.Decode));
        if (commit is not null)
        {
            RoundTrip(input, commit);
        }
    }

    private static void PrivateContentTarget(byte[] input)
    {
        if (input.Length > 0)
        {
            Expect.Only<MlsException>(() => PrivateMessageContent.Decode(input.AsMemory(1), (ContentType)input[0]));
        }
        Expect.Only<MlsException>(() => TlsReader.Decode(input, SenderData.Decode));
    }

    private static void GroupStateTarget(byte[] input)
    {
        using var group = Expect.Only<MlsException, MlsGroup>(() => MlsGroup.Restore(input));
        // A state of the current format (2) serializes back to its bytes; one of format 1 is rewritten as format 2.
        if (group is not null && input[1] == 2)
        {
            Expect.That(group.Serialize().AsSpan().SequenceEqual(input), "A restored group state does not serialize back to its input.");
        }
    }

    private static void RoundTrip(byte[] input, IMlsEncodable decoded)
        => Expect.That(TlsWriter.Encode(decoded.Encode).AsSpan().SequenceEqual(input),
            $"A decoded {decoded.GetType().Name} does not encode back to its input.");
}
