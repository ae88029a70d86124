// Fuzz targets of Parley.Client: what a person pastes (invite links, device link and approval codes), the
// records of the local store (decrypted cells; a damaged or hostile store file must not crash the client) and the
// lines on the local endpoint's socket.
using System.Text;
using Parley.Client;
using Parley.Client.Accounts;
using Parley.Client.Attachments;
using Parley.Client.Backup;
using Parley.Client.Channels;
using Parley.Client.Conversations;
using Parley.Client.Local;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Mls;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;

namespace Parley.Fuzz.Targets;

internal static class ClientTargets
{
    private static readonly CipherSuite LinkSuite = CipherSuite.Get(1);
    private static readonly HpkeKeyPair LinkKeys = LinkSuite.Hpke.DeriveKeyPair("parley fuzz link key"u8);
    private static readonly LinkCode FuzzLinkCode = new(LinkKeys.PublicKey);

    // The approval's HPKE info (src/Parley.Client/Accounts/DeviceLink.cs), so that fuzzed plaintexts reach the
    // parser behind the decryption.
    private static readonly byte[] LinkInfo = "Parley device link v1"u8.ToArray();

    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget("binary-push-frame",
            "a frame a server pushes on a parley.binary.v1 delivery WebSocket (DeliverySocket.Decode): 0x01, sequence, id, stamp, "
            + "message; an accepted frame has a valid id, a sequence of 0 or more, a message, and encodes back to the same bytes",
            BinaryPushFrameTarget);
        yield return new FuzzTarget("invite-link",
            "a private channel invite link (InviteLink.Parse); a parsed link must parse again from its text",
            InviteLinkTarget);
        yield return new FuzzTarget("device-link",
            "a device link code and an approval code (text), and the approval's plaintext (with or without its history "
            + "reference) behind its HPKE decryption when the first octet is 0",
            DeviceLinkTarget);
        yield return new FuzzTarget("local-endpoint",
            "a line on the local endpoint's socket (docs/local-endpoint.md): a request, and a response when the first octet "
            + "is '!'; an accepted line must survive encode then decode",
            LocalEndpointTarget);
        yield return new FuzzTarget("backup",
            "a backup file (docs/backup.md) or a device link's history bundle (docs/device-linking.md): header and chunks "
            + "opened with a fixed key; when the first octet is 0 (a backup) or 1 (a history bundle), the rest is sealed with "
            + "that key first, so that the records behind the encryption are fuzzed too",
            BackupTarget);
        yield return new FuzzTarget("store-records",
            "a decrypted record of the local store: the first octet picks identity, conversation, message, message state, "
            + "contact, key package, outbox, attachment or channel record",
            StoreRecordsTarget);
    }

    private static void BinaryPushFrameTarget(byte[] input)
    {
        if (Parley.Client.Network.DeliverySocket.Decode(input, System.Net.WebSockets.WebSocketMessageType.Binary, binary: true) is { } entry)
        {
            Expect.That(entry.Sequence >= 0 && Parley.Content.DeliveryFrame.IsValidId(entry.Id) && entry.Message.Length > 0,
                "An accepted push has a negative sequence, a bad id or no message.");
            Expect.That(Parley.Content.DeliveryFrame.EncodePush(entry.Sequence, entry.Id, entry.Message, entry.Stamp).AsSpan().SequenceEqual(input),
                "An accepted push does not encode back to its own bytes.");
        }
        // A text frame on a binary connection is passed over, whatever it holds.
        Expect.That(Parley.Client.Network.DeliverySocket.Decode(input, System.Net.WebSockets.WebSocketMessageType.Text, binary: true) is null,
            "A text frame on a binary connection was taken as a message.");
    }

    private static void InviteLinkTarget(byte[] input)
    {
        var link = Expect.Only<ParleyClientException, InviteLink>(() => InviteLink.Parse(Encoding.UTF8.GetString(input)));
        if (link is not null)
        {
            Expect.That(InviteLink.Parse(link.ToString()) == link, "An invite link does not parse again from its own text.");
        }
    }

    private static void DeviceLinkTarget(byte[] input)
    {
        if (input.Length > 0 && input[0] == 0)
        {
            var (enc, ciphertext) = LinkSuite.Hpke.Seal(LinkKeys.PublicKey, LinkInfo, FuzzLinkCode.ToBytes(), input.AsSpan(1));
            var w = new TlsWriter(enc.Length + ciphertext.Length + 8);
            w.WriteOpaque(enc);
            w.WriteOpaque(ciphertext);
            string approvalCode = "PA1." + System.Buffers.Text.Base64Url.EncodeToString(w.WrittenSpan);
            Expect.Only<FormatException>(() => LinkApproval.Open(approvalCode, FuzzLinkCode, LinkKeys.PrivateKey));
            return;
        }
        string text = Encoding.UTF8.GetString(input);
        var code = Expect.Only<FormatException, LinkCode>(() => LinkCode.Parse(text));
        if (code is not null)
        {
            Expect.That(LinkCode.Parse(code.ToString()).LinkKey.AsSpan().SequenceEqual(code.LinkKey), "A link code does not parse again from its own text.");
        }
        Expect.Only<FormatException>(() => LinkApproval.Open(text, FuzzLinkCode, LinkKeys.PrivateKey));
    }

    private static void LocalEndpointTarget(byte[] input)
    {
        if (input.Length > 0 && input[0] == (byte)'!')
        {
            var response = Expect.Only<LocalProtocolException, LocalResponse>(() => LocalProtocol.DecodeResponse(input.AsSpan(1)));
            if (response is not null)
            {
                byte[] line = LocalProtocol.EncodeResponse(response);
                Expect.That(LocalProtocol.DecodeResponse(line.AsSpan(0, line.Length - 1)) == response, "A local response does not survive encode then decode.");
            }
            return;
        }
        var request = Expect.Only<LocalProtocolException, LocalRequest>(() => LocalProtocol.DecodeRequest(input));
        if (request is not null)
        {
            byte[] line = LocalProtocol.EncodeRequest(request);
            var again = LocalProtocol.DecodeRequest(line.AsSpan(0, line.Length - 1));
            Expect.That(again.WorkingDirectory == request.WorkingDirectory && again.Arguments.SequenceEqual(request.Arguments),
                "A local request does not survive encode then decode.");
        }
    }

    private static void StoreRecordsTarget(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        byte[] record = input[1..];
        Action decode = (input[0] % 9) switch
        {
            0 => () => StoredRecords.DecodeIdentity(record),
            1 => () => StoredRecords.DecodeConversation(new ConversationId(Guid.Empty), record),
            2 => () => StoredRecords.DecodeMessage(record),
            3 => () => StoredRecords.DecodeState(record),
            4 => () => StoredRecords.DecodeContact(record),
            5 => () => StoredRecords.DecodeKeyPackage(record),
            6 => () => StoredRecords.DecodeOutbox(new OutboxId(1), new ConversationId(Guid.Empty), record),
            7 => () => StoredRecords.DecodeAttachment(new AttachmentId(Guid.Empty), new LocalMessageId(1), record),
            _ => () => ChannelRecordCodec.Decode(record),
        };
        // The store's contract for a record that does not decode: MlsDecodeException from the codec or
        // StoreFormatException (a ClientStoreException) for an unknown record version.
        try
        {
            decode();
        }
        catch (Exception e) when (e is MlsDecodeException or ClientStoreException)
        {
        }
    }

    /// <summary>The fixed key of the backup target's files (tests/Parley.Fuzz/Corpus/backup is sealed with it).</summary>
    internal static BackupKey FuzzBackupKey() => BackupKey.FromBytes("parley fuzz backup key, 32 bytes"u8);

    private static void BackupTarget(byte[] input)
    {
        using var key = FuzzBackupKey();
        byte[] file = input;
        // 0 seals the rest as a backup, 1 as a device link's history bundle; anything else is a file as it is, read as
        // the kind its header names.
        bool history = input.Length > 10 && input[0] > 1 && input[10] == (byte)BackupKeyKind.LinkKey;
        if (input.Length > 0 && input[0] <= 1)
        {
            history = input[0] == 1;
            using var sealedFile = new MemoryStream();
            using (var writer = BackupWriter.Create(sealedFile, history ? BackupSecret.ForLinkHistory(key) : BackupSecret.FromKey(key), 1024))
            {
                writer.Write(input.AsSpan(1));
                writer.Complete();
            }
            file = sealedFile.ToArray();
        }
        // BackupFormatException is the reader's whole contract: a wrong key, a damaged or cut file, bad contents.
        Expect.Only<BackupFormatException>(() =>
        {
            using var reader = BackupReader.Open(new MemoryStream(file), history ? BackupSecret.ForLinkHistory(key) : BackupSecret.FromKey(key));
            var (_, accountKey) = BackupContents.Read(reader, item =>
            {
                if (item is BackupItem.ChannelItem { Record: IDisposable disposable })
                {
                    disposable.Dispose();
                }
            }, linkHistory: history);
            Expect.That(!history || accountKey.Length == 0, "A history bundle gave an account key.");
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(accountKey);
        });
    }
}
