// Parley franking (docs/safety.md, "Franking"): the server's half.
//
//   stamp = 0x01 || nonce[24] || XChaCha20-Poly1305(key = server franking key, nonce,
//                                                  aad = "Parley franking stamp v1", FrankingStamp.Encode())
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using NSec.Cryptography;
using Parley.Mls.Codec;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.Franking;

/// <summary>Seals and opens delivery stamps with the server franking key. The AEAD is both the server's MAC
/// over (commitment, sender, recipient, group, time, message id) and what hides the sender from anyone
/// holding a stamp or a copy of the mailbox table.</summary>
public sealed class FrankingStamper : IDisposable
{
    /// <summary>Name of the franking key among the server's secrets (also the SQLite data-folder file name).</summary>
    public const string SecretName = "franking.key";

    /// <summary>Bytes of the server franking key.</summary>
    public const int KeySize = 32;

    /// <summary>The version byte that starts a stamp.</summary>
    public const byte Version = 1;

    private const int NonceSize = 24;
    private const int TagSize = 16;
    private static ReadOnlySpan<byte> Aad => "Parley franking stamp v1"u8;
    private static readonly AeadAlgorithm Aead = AeadAlgorithm.XChaCha20Poly1305;

    private readonly Key _key;

    /// <summary>Uses <c>Parley:FrankingKey</c> when configured, else the key kept in <paramref name="secrets"/>
    /// (created at first start).</summary>
    public FrankingStamper(IOptions<ParleyServerOptions> options, IServerSecrets secrets)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(secrets);
        byte[] raw = ConfiguredKey(options.Value.FrankingKey)
                     ?? secrets.GetOrCreate(SecretName, () => RandomNumberGenerator.GetBytes(KeySize));
        try
        {
            if (raw.Length != KeySize)
            {
                throw new InvalidOperationException($"The stored franking key must be {KeySize} bytes.");
            }
            _key = Key.Import(Aead, raw, KeyBlobFormat.RawSymmetricKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    /// <summary>Seals <paramref name="stamp"/> under a fresh random nonce.</summary>
    public byte[] Seal(FrankingStamp stamp)
    {
        ArgumentNullException.ThrowIfNull(stamp);
        return SealPlaintext(stamp.Encode(), RandomNumberGenerator.GetBytes(NonceSize));
    }

    /// <summary>One stamp per recipient device when <paramref name="submission"/> is an application message whose
    /// authenticated_data carries a franking commitment; null otherwise (nothing to stamp).</summary>
    public IReadOnlyDictionary<DeviceId, byte[]>? StampsFor(GroupSubmission submission, AccountId? senderAccount,
        IReadOnlyList<DeviceId> recipients, DateTimeOffset acceptedAt)
    {
        ArgumentNullException.ThrowIfNull(submission);
        ArgumentNullException.ThrowIfNull(recipients);
        // A sealed send's stamp names no sender (empty ids): a report of it names the sender from the MLS-signed content.
        AccountId? stampedAccount = submission.Sealed ? FrankingStamp.Unnamed.Account : senderAccount;
        DeviceId senderDevice = submission.Sealed ? FrankingStamp.Unnamed.Device : submission.Sender;
        if (submission.Kind != GroupMessageKind.Application || stampedAccount is not { } sender || recipients.Count == 0
            || !FrankedMessage.TryReadCommitment(submission.Message, out byte[] commitment))
        {
            return null;
        }
        // Only the recipient differs between the stamps of one message: encode the rest once and write each
        // recipient's id into its slot (a post to a large channel is stamped once per subscriber device).
        byte[] plaintext = new FrankingStamp(commitment, sender, senderDevice, new DeviceId(new string('0', DeviceId.Length)),
            submission.GroupId, acceptedAt, submission.MessageId).Encode();
        int slot = RecipientOffset(commitment, sender, senderDevice);
        byte[] nonces = RandomNumberGenerator.GetBytes(NonceSize * recipients.Count);
        var stamps = new Dictionary<DeviceId, byte[]>(recipients.Count);
        for (int i = 0; i < recipients.Count; i++)
        {
            DeviceId recipient = recipients[i];
            if (recipient.Value.Length != DeviceId.Length)
            {
                stamps[recipient] = Seal(new FrankingStamp(commitment, sender, senderDevice, recipient, submission.GroupId,
                    acceptedAt, submission.MessageId));
                continue;
            }
            Encoding.ASCII.GetBytes(recipient.Value, plaintext.AsSpan(slot, DeviceId.Length));
            stamps[recipient] = SealPlaintext(plaintext, nonces.AsSpan(i * NonceSize, NonceSize));
        }
        return stamps;
    }

    /// <summary>Opens a stamp this server sealed; false when it is malformed, altered or sealed under another key.</summary>
    public bool TryOpen(ReadOnlySpan<byte> sealedStamp, out FrankingStamp? stamp)
    {
        stamp = null;
        if (sealedStamp.Length < 1 + NonceSize + TagSize || sealedStamp[0] != Version)
        {
            return false;
        }
        byte[] plaintext = new byte[sealedStamp.Length - 1 - NonceSize - TagSize];
        if (!Aead.Decrypt(_key, sealedStamp.Slice(1, NonceSize), Aad, sealedStamp[(1 + NonceSize)..], plaintext))
        {
            return false;
        }
        try
        {
            stamp = FrankingStamp.Decode(plaintext);
            return true;
        }
        catch (MlsDecodeException)
        {
            return false;
        }
    }

    public void Dispose() => _key.Dispose();

    private byte[] SealPlaintext(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> nonce)
    {
        byte[] output = new byte[1 + NonceSize + plaintext.Length + TagSize];
        output[0] = Version;
        nonce.CopyTo(output.AsSpan(1, NonceSize));
        Aead.Encrypt(_key, nonce, Aad, plaintext, output.AsSpan(1 + NonceSize));
        return output;
    }

    // Where the recipient device id's bytes start in an encoded stamp: after three opaque fields and the
    // recipient's own one-byte length prefix (a 32-character id is below the 64 a one-byte varint holds).
    private static int RecipientOffset(byte[] commitment, AccountId sender, DeviceId senderDevice)
        => OpaqueLength(commitment.Length) + OpaqueLength(sender.Value.Length) + OpaqueLength(senderDevice.Value.Length) + 1;

    private static int OpaqueLength(int length) => (length < 64 ? 1 : length < 16384 ? 2 : 4) + length;

    private static byte[]? ConfiguredKey(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return null;
        }
        try
        {
            byte[] key = Convert.FromBase64String(configured.Trim());
            if (key.Length == KeySize)
            {
                return key;
            }
        }
        catch (FormatException)
        {
            // Reported below without echoing the value.
        }
        throw new InvalidOperationException($"Parley:FrankingKey must be the base64 of {KeySize} random bytes.");
    }
}
