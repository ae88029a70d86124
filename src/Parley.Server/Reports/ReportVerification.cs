// Parley abuse reports (docs/safety.md, "What a report proves").
using System.Security.Cryptography;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Server.Devices;
using Parley.Server.Franking;
using Parley.Server.Groups;
using ContentFranking = Parley.Content.Franking;

namespace Parley.Server.Reports;

/// <summary>The checks that make a report evidence: the stamp is this server's and names the reporting device
/// as recipient and the reported group and message id; the revealed envelope is exactly what the sender
/// committed to; every attachment's evidence is the ciphertext the message names and opens, under the key in
/// the message, to the plaintext the sender committed to. Any failure is a forgery or a mistake, and nothing
/// is stored.</summary>
public static class ReportVerification
{
    /// <summary>Detail of the refusal when the envelope does not match the commitment.</summary>
    public const string EnvelopeMismatch = "the message does not match what its sender committed to";

    /// <summary>Opens and checks the stamp, then the envelope against its commitment; returns the stamp, or the reason
    /// the report is refused.</summary>
    public static (FrankingStamp? Stamp, string? Refusal) VerifyMessage(FrankingStamper stamper, DeviceId reporter, GroupId group,
        string messageId, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> sealedStamp)
    {
        ArgumentNullException.ThrowIfNull(stamper);
        if (!stamper.TryOpen(sealedStamp, out FrankingStamp? stamp))
        {
            return (null, "the stamp was not issued by this server or was altered");
        }
        if (stamp!.RecipientDevice != reporter)
        {
            return (null, "the stamp was issued to another device; only a recipient can report what it received");
        }
        if (stamp.GroupId != group || stamp.MessageId != messageId)
        {
            return (null, "the stamp is for another message");
        }
        if (!ContentFranking.Verify(envelope, stamp.Commitment))
        {
            return (null, EnvelopeMismatch);
        }
        return (stamp, null);
    }

    /// <summary>The device that signed the reported content of a sealed send, by <paramref name="proof"/> (a
    /// <see cref="SenderProof"/>): the content rebuilt from the revealed envelope, signed over the GroupContext of this group
    /// the proof carries, verifies under the key the server registered for the device the proof names. Null when anything
    /// is missing, malformed or does not verify.</summary>
    public static async Task<Device?> VerifySenderAsync(IDeviceStore devices, GroupId group, byte[] envelope, byte[]? proof,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(devices);
        SenderProof decoded;
        try
        {
            decoded = SenderProof.Decode(proof ?? []);
        }
        catch (MlsDecodeException)
        {
            return null;
        }
        if (!DeviceId.TryParse(decoded.SenderDevice, out DeviceId deviceId)
            || await devices.FindAsync(deviceId, cancellationToken) is not { } device
            || !CipherSuite.TryGet(device.CipherSuite, out CipherSuite? suite))
        {
            return null;
        }
        return decoded.Verify(suite!, System.Buffers.Text.Base64Url.DecodeFromChars(group.Value), envelope, device.SignatureKey) ? device : null;
    }

    /// <summary>Whether a stored report still verifies (its stamp opens, matches its row, and commits to its envelope),
    /// recomputed on every read so a row changed in the database shows as unverified.</summary>
    public static bool Recheck(FrankingStamper stamper, Report report)
    {
        ArgumentNullException.ThrowIfNull(stamper);
        ArgumentNullException.ThrowIfNull(report);
        return stamper.TryOpen(report.Stamp, out FrankingStamp? stamp)
               // A sealed send's stamp names no sender; its sender was proven by signature when the report was made.
               && (stamp!.SenderUnnamed || (stamp.SenderAccount == report.SenderAccount && stamp.SenderDevice == report.SenderDevice))
               && stamp.GroupId == report.GroupId && stamp.MessageId == report.MessageId
               && stamp.AcceptedAt == report.AcceptedAt
               && ContentFranking.Verify(report.Envelope, stamp.Commitment)
               && report.Attachments.All(a => a.Verified);
    }

    /// <summary>Checks one attachment's evidence file against the reference in the verified envelope: its SHA-256 is the
    /// reference's digest, and it decrypts under the reference's key to a plaintext whose SHA-256 is the committed
    /// plaintext digest. The plaintext is discarded as it is produced.</summary>
    public static async Task<string?> VerifyAttachmentAsync(AttachmentReference reference, string evidencePath,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.PlaintextDigest is null)
        {
            return "the message does not commit to its attachment's plaintext, so the file cannot be verified";
        }
        try
        {
            await using var file = new FileStream(evidencePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
                bufferSize: 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
            byte[] digest = await SHA256.HashDataAsync(file, cancellationToken);
            if (!CryptographicOperations.FixedTimeEquals(digest, reference.Digest))
            {
                return "the evidence is not the attachment the message names";
            }
            file.Position = 0;
            // Decrypting checks every chunk, the ciphertext digest, the size and the plaintext digest.
            await AttachmentCipher.DecryptAsync(file, Stream.Null, reference, cancellationToken: cancellationToken);
            return null;
        }
        catch (AttachmentIntegrityException)
        {
            return "the evidence does not decrypt to the file the sender committed to";
        }
        catch (ArgumentException)
        {
            return "the message's attachment reference is malformed";
        }
        catch (FileNotFoundException)
        {
            return "the evidence blob is gone";
        }
        catch (DirectoryNotFoundException)
        {
            return "the evidence blob is gone";
        }
    }
}
