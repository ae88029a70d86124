// The seed corpus: small valid inputs for every target, made by Parley's own encoders and taken from the
// official RFC 9420 test vectors (tests/Parley.Mls.Tests/Vectors). `Parley.Fuzz seed DIR VECTORS` writes them;
// the files under tests/Parley.Fuzz/Corpus are its output, committed so that a fuzz run starts from them.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Parley.Client.Accounts;
using Parley.Client.Attachments;
using Parley.Client.Channels;
using Parley.Client.Conversations;
using Parley.Client.Local;
using Parley.Client.Groups;
using Parley.Client.Identity;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Fuzz;

internal static class SeedCorpus
{
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_000);

    /// <summary>Writes the seeds of every target into <paramref name="corpus"/>/TARGET/NAME.</summary>
    public static void Write(string corpus, string vectors)
    {
        var seeds = new Dictionary<string, List<(string Name, byte[] Bytes)>>();
        void Add(string target, string name, byte[] bytes)
        {
            FuzzTargets.Get(target);
            if (!seeds.TryGetValue(target, out var list))
            {
                seeds[target] = list = [];
            }
            list.Add((name, bytes));
        }

        AddVectorSeeds(vectors, Add);
        AddGroupSeeds(Add);
        AddContentSeeds(Add);
        AddClientSeeds(Add);
        AddBackupSeeds(Add);
        AddPostQuantumSeeds(Add);

        foreach (var (target, list) in seeds)
        {
            string dir = Path.Combine(corpus, target);
            Directory.CreateDirectory(dir);
            foreach (var (name, bytes) in list)
            {
                File.WriteAllBytes(Path.Combine(dir, name), bytes);
            }
        }
    }

    // The first entry of messages.json (RFC 9420 test vectors, "messages") and the two smallest trees of
    // tree-validation.json (suites 1 and 2: valid trees with correct signatures and parent hashes).
    private static void AddVectorSeeds(string vectors, Action<string, string, byte[]> add)
    {
        using var messages = JsonDocument.Parse(File.ReadAllText(Path.Combine(vectors, "messages.json")));
        var m = messages.RootElement[0];
        byte[] Hex(string field) => Convert.FromHexString(m.GetProperty(field).GetString()!);
        foreach (string field in new[] { "mls_welcome", "mls_group_info", "mls_key_package", "public_message_application",
                     "public_message_proposal", "public_message_commit", "private_message" })
        {
            add("mls-message", "vector-" + field, Hex(field));
        }
        // An MLSMessage starts with version and wire format (4 octets); the bare structures follow.
        add("key-package", "vector-key_package", Hex("mls_key_package")[4..]);
        add("welcome", "vector-welcome", Hex("mls_welcome")[4..]);
        add("welcome", "vector-group_secrets", Hex("group_secrets"));
        add("group-info", "vector-group_info", Hex("mls_group_info")[4..]);
        add("ratchet-tree", "vector-ratchet_tree", [0, 1, .. Hex("ratchet_tree")]);
        foreach (string field in new[] { "add_proposal", "update_proposal", "remove_proposal", "pre_shared_key_proposal",
                     "re_init_proposal", "external_init_proposal", "group_context_extensions_proposal" })
        {
            add("proposal", "vector-" + field, Hex(field));
        }
        add("commit", "vector-commit", Hex("commit"));

        using var trees = JsonDocument.Parse(File.ReadAllText(Path.Combine(vectors, "tree-validation.json")));
        foreach (ushort suite in new ushort[] { 1, 2 })
        {
            var smallest = trees.RootElement.EnumerateArray()
                .Where(t => t.GetProperty("cipher_suite").GetUInt16() == suite)
                .Select(t => Convert.FromHexString(t.GetProperty("tree").GetString()!))
                .OrderBy(t => t.Length)
                .First();
            add("ratchet-tree", $"vector-tree-suite{suite}", [(byte)(suite >> 8), (byte)suite, .. smallest]);
        }
    }

    // pq-kem: for each post-quantum suite, its fixed recipient's public key and a ciphertext sealed to it.
    private static void AddPostQuantumSeeds(Action<string, string, byte[]> add)
    {
        for (int i = 0; i < Targets.MlsTargets.PostQuantumSuites.Length; i++)
        {
            var suite = CipherSuite.Get(Targets.MlsTargets.PostQuantumSuites[i]);
            var recipient = Targets.MlsTargets.PostQuantumRecipient(suite);
            add("pq-kem", $"public-key-{suite.Id}", [(byte)i, .. recipient.PublicKey]);
            add("pq-kem", $"ciphertext-{suite.Id}", [(byte)i, .. Encode(suite.EncryptWithLabel(recipient.PublicKey, "Welcome", "pq-kem"u8, "secret"u8))]);
        }
    }

    // A real two-member group of suite 1: its key package, Welcome, GroupInfo with tree, commit with a path,
    // a private message's plaintext layout, and the saved states.
    private static void AddGroupSeeds(Action<string, string, byte[]> add)
    {
        var suite = CipherSuite.Get(1);
        var lifetime = new Lifetime(0, ulong.MaxValue);
        var aliceKey = suite.GenerateSignatureKeyPair();
        var bobKey = suite.GenerateSignatureKeyPair();
        // As Parley's devices make them (src/Parley.Client/Groups/DeviceLeaf.cs): a basic credential naming the device,
        // the account binding leaf extension, and capabilities for it and the channel extension.
        var capabilities = new Capabilities([ProtocolVersion.Mls10], [suite.Id], [AccountBinding.ExtensionType, ChannelExtension.ExtensionType], [],
            [CredentialType.Basic]);
        static Credential DeviceCredential(SignatureKeyPair key)
            => Credential.Basic(Encoding.ASCII.GetBytes(Parley.Server.Devices.DeviceId.FromSignatureKey(key.PublicKey).Value));
        using var bob = KeyPackageBundle.Create(suite, DeviceCredential(bobKey), bobKey, lifetime, capabilities,
            [new AccountBinding("bob", new byte[64]).ToExtension()]);
        using var alice = MlsGroup.Create(suite, "seed group"u8.ToArray(), DeviceCredential(aliceKey), aliceKey,
            extensions: [new ChannelExtension("seed-channel", ["alice"]).ToExtension()], capabilities: capabilities,
            leafExtensions: [new AccountBinding("alice", new byte[64]).ToExtension()]);
        add("group-state", "one-member", alice.Serialize());

        var bobKeyPackage = new MlsMessage(bob.KeyPackage);
        add("mls-message", "key-package", Encode(bobKeyPackage));
        add("key-package", "key-package", Encode(bob.KeyPackage));

        var result = alice.Commit(new CommitOptions { Proposals = [new Add(bob.KeyPackage)] });
        add("group-state", "pending-commit", alice.Serialize());
        alice.MergePendingCommit();
        add("mls-message", "commit-add", Encode(result.Commit));
        add("commit", "commit-add", Encode(result.Commit.PublicMessage!.Content.Commit!));
        add("welcome", "welcome", Encode(result.Welcome!.Welcome!));
        var groupInfo = alice.CreateGroupInfo();
        add("group-info", "group-info-with-tree", Encode(groupInfo));
        add("mls-message", "group-info", Encode(new MlsMessage(groupInfo)));
        add("ratchet-tree", "two-members", [0, 1, .. TlsWriter.Encode(w => RatchetTreeExtension.Encode(w, alice.ExportRatchetTree()))]);

        using var bobGroup = MlsGroup.JoinFromWelcome(result.Welcome!, bob);
        var update = alice.Commit(new CommitOptions { ForcePath = true });
        alice.MergePendingCommit();
        add("commit", "commit-path", Encode(update.Commit.PublicMessage!.Content.Commit!));
        add("mls-message", "private-application", Encode(alice.EncryptApplicationMessage("hello"u8)));
        add("group-state", "two-members", alice.Serialize());

        var remove = new Remove(new Parley.Mls.Tree.LeafIndex(1));
        add("proposal", "remove", Encode(remove));
        add("private-content", "application", [(byte)ContentType.Application,
            .. TlsWriter.Encode(w => { w.WriteOpaque("hello"u8); w.WriteOpaque(new byte[64]); w.WriteBytes(new byte[4]); })]);
        add("private-content", "proposal", [(byte)ContentType.Proposal,
            .. TlsWriter.Encode(w => { remove.Encode(w); w.WriteOpaque(new byte[64]); })]);
        add("private-content", "sender-data", TlsWriter.Encode(w => new SenderData(new Parley.Mls.Tree.LeafIndex(1), 7, new byte[4]).Encode(w)));
    }

    private static void AddContentSeeds(Action<string, string, byte[]> add)
    {
        const string id = "seed-message-1";
        var attachment = new AttachmentReference("blob-1", 100, "image/png", "seed.png", AttachmentCipher.MinChunkSize,
            new byte[AttachmentCipher.KeySize], new byte[AttachmentCipher.DigestSize], new byte[AttachmentCipher.DigestSize]);
        MessageContent[] contents =
        [
            new TextContent("hello"), new ReplyContent(id, "hi"), new EditContent(id, "edited"), new DeleteContent(id),
            new ReactionContent(id, "\U0001F44D"), new DeliveryReceiptContent([id]), new ReadReceiptContent([id]),
            new AttachmentContent(attachment, "caption"), new DisappearingTimerContent(TimeSpan.FromHours(1)),
            new ConversationInfoContent(ConversationKind.Group, "title"),
            new ChannelHistoryContent([new HistoryPost("alice", "device-1", new ContentEnvelope(id, At, new TextContent("an earlier post")).Encode(), "edited")]),
        ];
        foreach (var content in contents)
        {
            add("content-envelope", content.Kind.ToString().ToLowerInvariant(),
                new ContentEnvelope("seed-" + content.Kind, At, content, content is TextContent ? Franking.NewKey() : null).Encode());
        }
        add("content-envelope", "franking-aad", Franking.EncodeAad(new byte[32]));
        var proof = new SenderProof(1, new string('a', 32), new byte[120], new byte[64]);
        add("sender-proof", "proof", proof.Encode());
        add("sender-proof", "stored", SenderProof.Store([1, .. new byte[60]], proof));

        // The attachment reference alone (what the attachment target wraps in an envelope).
        byte[] reference = new ContentEnvelope(id, At, new AttachmentContent(attachment, "")).Encode();
        var r = new TlsReader(reference);
        r.ReadUInt16(); r.ReadUInt16(); r.ReadOpaque(); r.ReadUInt64();
        add("attachment", "reference", [0, .. r.ReadOpaque()]);
        using var plaintext = new MemoryStream(Encoding.UTF8.GetBytes(new string('x', 1500)));
        using var ciphertext = new MemoryStream();
        AttachmentCipher.EncryptAsync(plaintext, ciphertext, AttachmentCipher.MinChunkSize).GetAwaiter().GetResult();
        add("attachment", "ciphertext", [1, .. ciphertext.ToArray()]);

        var device = CipherSuite.Get(1).GenerateSignatureKeyPair();
        var post = PublicPost.Sign("seed-channel", "post-1", PublicPostOperation.Post, At, "hello", "alice", new byte[64], device.PrivateKey);
        add("public-post", "post", post.Encode());
        add("public-post", "delete", (post with { Operation = PublicPostOperation.Delete, Text = "" }).Encode());

        add("channel-extension", "channel", new ChannelExtension("seed-channel", ["alice", "bob"]).ToExtension().Data);
    }

    // A backup's records (a manifest, the account key and one of each item), as plaintext behind a 0 octet and as a
    // file sealed with the target's fixed key in 1 KiB chunks.
    private static void AddBackupSeeds(Action<string, string, byte[]> add)
    {
        var conversation = new ConversationId(Guid.Empty);
        using var plaintext = new MemoryStream();
        var records = new Parley.Client.Backup.BackupRecordWriter(plaintext);
        records.Write(Parley.Client.Backup.BackupRecordKind.Manifest,
            new Parley.Client.Backup.BackupManifest(new Uri("https://parley.example/"), "alice", new byte[32], "device-1", At, 1).Encode());
        records.Write(Parley.Client.Backup.BackupRecordKind.AccountKey, new byte[32]);
        records.Write(Parley.Client.Backup.BackupRecordKind.Contact, StoredRecords.EncodeContact(new Contact("bob", new byte[32], true, false, null, At, null)));
        records.Write(Parley.Client.Backup.BackupRecordKind.Block, TlsWriter.Encode(w => w.WriteString("mallory")));
        records.Write(Parley.Client.Backup.BackupRecordKind.Conversation, TlsWriter.Encode(w =>
        {
            w.WriteOpaque(conversation.ToBytes());
            w.WriteOpaque(StoredRecords.EncodeConversation(new Conversation(conversation, ConversationKind.Direct, "bob", new byte[16], null,
                [new ConversationMember("bob", ["device-2"])], At, At, 0)));
        }));
        records.Write(Parley.Client.Backup.BackupRecordKind.Channel, ChannelRecordCodec.Encode(new PublicChannelRecord(new Uri("https://parley.example/"),
            "town", "carol", new byte[32], true, 0, At)));
        records.Write(Parley.Client.Backup.BackupRecordKind.Message, TlsWriter.Encode(w =>
        {
            w.WriteOpaque(conversation.ToBytes());
            w.WriteOpaque(StoredRecords.EncodeMessage(new MessageRecord("m1", "device-2", "bob", false, At, At, null,
                new ContentEnvelope("m1", At, new TextContent(new string('x', 1500))).Encode())));
            w.WriteOpaque(StoredRecords.EncodeState(MessageState.Initial(DeliveryStatus.Received)));
        }));
        add("backup", "records", [0, .. plaintext.ToArray()]);
        using var key = Parley.Fuzz.Targets.ClientTargets.FuzzBackupKey();
        using var file = new MemoryStream();
        using (var writer = Parley.Client.Backup.BackupWriter.Create(file, Parley.Client.Backup.BackupSecret.FromKey(key), 1024))
        {
            writer.Write(plaintext.ToArray());
            writer.Complete();
        }
        add("backup", "file", file.ToArray());

        // The same records without the account key, as a device link's history bundle.
        using var history = new MemoryStream();
        var historyRecords = new Parley.Client.Backup.BackupRecordWriter(history);
        historyRecords.Write(Parley.Client.Backup.BackupRecordKind.Manifest,
            new Parley.Client.Backup.BackupManifest(new Uri("https://parley.example/"), "alice", new byte[32], "device-1", At, 0).Encode());
        historyRecords.Write(Parley.Client.Backup.BackupRecordKind.Block, TlsWriter.Encode(w => w.WriteString("mallory")));
        add("backup", "history-records", [1, .. history.ToArray()]);
        using var bundle = new MemoryStream();
        using (var writer = Parley.Client.Backup.BackupWriter.Create(bundle, Parley.Client.Backup.BackupSecret.ForLinkHistory(key), 1024))
        {
            writer.Write(history.ToArray());
            writer.Complete();
        }
        add("backup", "history-file", bundle.ToArray());
    }

    private static void AddClientSeeds(Action<string, string, byte[]> add)
    {
        add("local-endpoint", "request", LocalProtocol.EncodeRequest(new LocalRequest(["send", "bob", "hello \u00e9"], "/home/alice"))[..^1]);
        add("local-endpoint", "response", [(byte)'!', .. LocalProtocol.EncodeResponse(new LocalResponse(1, "Sent x to bob.\n", "parley: no\n", "bad_request"))[..^1]]);
        add("invite-link", "link", Encoding.UTF8.GetBytes(new InviteLink(new Uri("https://parley.example/"), "AAAAAAAAAAAAAAAAAAAAAA").ToString()));
        var linkKeys = CipherSuite.Get(1).Hpke.GenerateKeyPair();
        var code = new LinkCode(linkKeys.PublicKey);
        add("device-link", "link-code", Encoding.UTF8.GetBytes(code.ToString()));
        var approval = new LinkApproval("alice", new byte[32], new Uri("https://parley.example/"));
        add("device-link", "approval-code", Encoding.UTF8.GetBytes(approval.Seal(code)));
        add("device-link", "approval-plaintext", [0, .. TlsWriter.Encode(w =>
        {
            w.WriteOpaque("alice"u8);
            w.WriteOpaque(new byte[32]);
            w.WriteOpaque("https://parley.example/"u8);
        })]);
        add("device-link", "approval-plaintext-history", [0, .. TlsWriter.Encode(w =>
        {
            w.WriteOpaque("alice"u8);
            w.WriteOpaque(new byte[32]);
            w.WriteOpaque("https://parley.example/"u8);
            w.WriteOpaque("0123456789abcdef0123456789abcdef"u8);
            w.WriteOpaque(new byte[32]);
            w.WriteUInt64(1000);
        })]);

        var suite = CipherSuite.Get(1);
        var conversation = new ConversationId(Guid.Empty);
        string[] devices = ["device-1"];
        using (var identity = new DeviceIdentity("alice", new Uri("https://parley.example/"), 1, suite.GenerateSignatureKeyPair(),
                   new byte[32], AccountIdentityKey.Import(new byte[32]), "token", new byte[64], At))
        {
            add("store-records", "identity", [0, .. StoredRecords.EncodeIdentity(identity, "token", new byte[64])]);
        }
        add("store-records", "conversation", [1, .. StoredRecords.EncodeConversation(new Conversation(conversation, ConversationKind.Direct, "bob",
            new byte[16], TimeSpan.FromDays(1), [new ConversationMember("bob", devices)], At, At, 2))]);
        add("store-records", "message", [2, .. StoredRecords.EncodeMessage(new MessageRecord("m1", "device-1", "bob", false, At, At, At,
            new ContentEnvelope("m1", At, new TextContent("hi")).Encode()))]);
        add("store-records", "message-state", [3, .. StoredRecords.EncodeState(new MessageState(DeliveryStatus.Received, true, "edited", At, false,
            [new MessageReaction("bob", "\U0001F44D", At)], [new MessageReceipt("bob", At, null)]))]);
        add("store-records", "contact", [4, .. StoredRecords.EncodeContact(new Contact("bob", new byte[32], true, false, null, At, null))]);
        add("store-records", "key-package", [5, .. StoredRecords.EncodeKeyPackage(new StoredKeyPackage(new byte[32], new byte[100], new byte[32],
            new byte[32], false, At))]);
        add("store-records", "outbox", [6, .. StoredRecords.EncodeOutbox(new OutboxItem(new OutboxId(1), conversation, "delivery-1",
            OutboxKind.Application, new byte[50], null, new LocalMessageId(3), [new ConversationMember("bob", devices)]))]);
        var reference = new AttachmentReference("blob-1", 100, "image/png", "a.png", AttachmentCipher.MinChunkSize, new byte[32], new byte[32],
            new byte[32]);
        add("store-records", "attachment", [7, .. StoredRecords.EncodeAttachment(new StoredAttachment(new AttachmentId(Guid.Empty),
            new LocalMessageId(1), reference, "/tmp/a.png", At))]);
        add("store-records", "private-channel", [8, .. ChannelRecordCodec.Encode(new PrivateChannelRecord(conversation, "channel", true,
            new byte[32], 5))]);
        add("store-records", "private-channel-v3", [8, .. ChannelRecordCodec.Encode(new PrivateChannelRecord(conversation, "channel", true,
            new byte[32], 5, QueueToken: Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()))]);
        add("queue-credential", "token", Encoding.ASCII.GetBytes(System.Buffers.Text.Base64Url.EncodeToString(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray())));
        add("queue-credential", "malformed", "not-a-token"u8.ToArray());
        add("ack-frame", "one", """{"type":"ack","id":"0b6f7c1e-5a43-4d7e-9c36-2f1b8a9d4e60"}"""u8.ToArray());
        add("ack-frame", "batch", """{"type":"ack","ids":["m1","m2","0b6f7c1e-5a43-4d7e-9c36-2f1b8a9d4e60"]}"""u8.ToArray());
        add("ack-frame", "both", """{"type":"ack","id":"m1","ids":["m2"]}"""u8.ToArray());
        add("binary-ack-frame", "one", DeliveryFrame.EncodeAck(["0b6f7c1e-5a43-4d7e-9c36-2f1b8a9d4e60"]));
        add("binary-ack-frame", "batch", DeliveryFrame.EncodeAck(["m1", "m2", "0b6f7c1e-5a43-4d7e-9c36-2f1b8a9d4e60"]));
        add("binary-push-frame", "plain", DeliveryFrame.EncodePush(42, "m1", [0, 1, 0, 2, 7, 7], []));
        add("binary-push-frame", "stamped", DeliveryFrame.EncodePush(7, "0b6f7c1e-5a43-4d7e-9c36-2f1b8a9d4e60", [0, 1, 0, 2, 9], [1, 2, 3, 4]));
        add("store-records", "public-channel", [8, .. ChannelRecordCodec.Encode(new PublicChannelRecord(new Uri("https://parley.example/"),
            "news", "alice", new byte[32], true, 5, At))]);
    }

    private static byte[] Encode(IMlsEncodable value) => TlsWriter.Encode(value.Encode);
}
