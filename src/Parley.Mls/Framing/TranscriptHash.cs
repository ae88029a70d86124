// RFC 9420 §8.2 (transcript hashes).
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;

namespace Parley.Mls.Framing;

/// <summary>The confirmed and interim transcript hashes, which chain every Commit of the group:
/// confirmed = Hash(interim_prev || ConfirmedTranscriptHashInput) and
/// interim = Hash(confirmed || InterimTranscriptHashInput).</summary>
public static class TranscriptHash
{
    /// <summary>Computes the confirmed transcript hash after the Commit in <paramref name="commit"/>,
    /// from the previous epoch's interim transcript hash.</summary>
    public static byte[] Confirmed(CipherSuite suite, ReadOnlySpan<byte> interimBefore, AuthenticatedContent commit)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(commit);
        var w = new TlsWriter(interimBefore.Length + 512);
        w.WriteBytes(interimBefore);
        WriteConfirmedTranscriptHashInput(w, commit);
        return suite.Hash(w.WrittenSpan);
    }

    /// <summary>Computes the interim transcript hash from the confirmed transcript hash and the
    /// Commit's confirmation tag.</summary>
    public static byte[] Interim(CipherSuite suite, ReadOnlySpan<byte> confirmed, ReadOnlySpan<byte> confirmationTag)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var w = new TlsWriter(confirmed.Length + confirmationTag.Length + 4);
        w.WriteBytes(confirmed);
        w.WriteOpaque(confirmationTag);
        return suite.Hash(w.WrittenSpan);
    }

    /// <summary>Computes both hashes after <paramref name="commit"/>, whose auth data must carry its
    /// confirmation tag.</summary>
    public static (byte[] Confirmed, byte[] Interim) Update(CipherSuite suite, ReadOnlySpan<byte> interimBefore, AuthenticatedContent commit)
    {
        ArgumentNullException.ThrowIfNull(commit);
        byte[] tag = commit.Auth.ConfirmationTag
            ?? throw new ArgumentException("The commit has no confirmation tag yet.", nameof(commit));
        byte[] confirmed = Confirmed(suite, interimBefore, commit);
        return (confirmed, Interim(suite, confirmed, tag));
    }

    /// <summary>Writes ConfirmedTranscriptHashInput: wire format, the commit's FramedContent and its signature.</summary>
    public static void WriteConfirmedTranscriptHashInput(TlsWriter writer, AuthenticatedContent commit)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(commit);
        if (commit.Content.ContentType != ContentType.Commit)
        {
            throw new ArgumentException("Only a commit updates the transcript hash.", nameof(commit));
        }
        writer.WriteUInt16((ushort)commit.WireFormat);
        commit.Content.Encode(writer);
        writer.WriteOpaque(commit.Auth.Signature);
    }
}
