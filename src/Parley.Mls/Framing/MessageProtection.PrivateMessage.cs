// RFC 9420 §6.3 (encoding and decoding a private message), §6.3.1 (content encryption) and
// §6.3.2 (sender data encryption).
//
//   key, nonce        = ratchet_key_[sender]_[generation], ratchet_nonce_[sender]_[generation]
//                       (handshake ratchet for proposals and commits, application ratchet otherwise)
//   nonce'            = nonce with its first 4 bytes XORed with reuse_guard
//   ciphertext        = AEAD.Seal(key, nonce', PrivateContentAAD, PrivateMessageContent)
//   sender_data_key   = ExpandWithLabel(sender_data_secret, "key", ciphertext_sample, AEAD.Nk)
//   sender_data_nonce = ExpandWithLabel(sender_data_secret, "nonce", ciphertext_sample, AEAD.Nn)
//   encrypted_sender_data = AEAD.Seal(sender_data_key, sender_data_nonce, SenderDataAAD, SenderData)
using System.Buffers;
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Framing;

public static partial class MessageProtection
{
    /// <summary>Encrypts signed content (wire format mls_private_message, sent by a member) into a
    /// PrivateMessage with the sender's next key from <paramref name="secretTree"/>, a fresh reuse
    /// guard and the epoch's <paramref name="senderDataSecret"/>, padding the plaintext as
    /// <paramref name="padding"/> says.</summary>
    public static PrivateMessage ProtectPrivate(CipherSuite suite, AuthenticatedContent content, SecretTree secretTree,
        ReadOnlySpan<byte> senderDataSecret, PaddingPolicy padding = default)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(secretTree);
        if (content.WireFormat != WireFormat.MlsPrivateMessage)
        {
            throw new ArgumentException("The content was signed for a PublicMessage.", nameof(content));
        }
        var framed = content.Content;
        CheckSendable(WireFormat.MlsPrivateMessage, framed);
        CheckConfirmationTag(content);
        var leaf = framed.Sender.LeafIndex;
        if (leaf.Value >= secretTree.LeafCount)
        {
            throw new ArgumentException($"The sender ({leaf}) is outside the secret tree of {secretTree.LeafCount} leaves.", nameof(content));
        }

        byte[] aad = new PrivateContentAad(framed.GroupId, framed.Epoch, framed.ContentType, framed.AuthenticatedData).ToBytes();
        Span<byte> reuseGuard = stackalloc byte[SenderData.ReuseGuardLength];
        RandomNumberGenerator.Fill(reuseGuard);
        byte[] plaintext = RentPrivateMessageContent(content, padding, out int plaintextLength);
        byte[] ciphertext;
        uint generation;
        try
        {
            using var key = secretTree.NextForSending(leaf, RatchetTypeOf(framed.ContentType));
            generation = key.Generation;
            Span<byte> nonce = stackalloc byte[key.Nonce.Length];
            GuardNonce(key.Nonce, reuseGuard, nonce);
            ciphertext = suite.AeadSeal(key.Key, nonce, aad, plaintext.AsSpan(0, plaintextLength));
            CryptographicOperations.ZeroMemory(nonce);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext.AsSpan(0, plaintextLength));
            ArrayPool<byte>.Shared.Return(plaintext);
        }

        byte[] encryptedSenderData = SealSenderData(suite, senderDataSecret, framed, ciphertext,
            new SenderData(leaf, generation, reuseGuard.ToArray()));
        return new PrivateMessage(framed.GroupId, framed.Epoch, framed.ContentType, framed.AuthenticatedData,
            encryptedSenderData, ciphertext);
    }

    /// <summary>Decrypts a PrivateMessage of the group's current <paramref name="context"/>: checks
    /// group id and epoch, decrypts the sender data, checks that the sender leaf is in the tree and
    /// (when given) that <paramref name="isMember"/> holds for it, then decrypts the content with that
    /// sender's key of the stated generation, which is consumed only if the content authenticates
    /// (<see cref="SecretTree.TryOpen"/>): a forged or tampered message leaves the tree unchanged, so the
    /// genuine message of that generation still decrypts; a replay fails. The signature is not checked
    /// here: use <see cref="VerifySignature"/> with the sender's key.</summary>
    public static UnprotectedPrivateMessage UnprotectPrivate(CipherSuite suite, PrivateMessage message, GroupContext context,
        SecretTree secretTree, ReadOnlySpan<byte> senderDataSecret, Func<LeafIndex, bool>? isMember = null)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(secretTree);
        CheckGroupAndEpoch(message.GroupId, message.Epoch, context, "private message");

        var senderData = OpenSenderData(suite, senderDataSecret, message);
        var leaf = senderData.LeafIndex;
        if (leaf.Value >= secretTree.LeafCount || (isMember is not null && !isMember(leaf)))
        {
            throw new MlsProtocolException(MlsError.SenderNotMember, $"The private message's sender ({leaf}) is not a member of the group.");
        }

        byte[] aad = new PrivateContentAad(message.GroupId, message.Epoch, message.ContentType, message.AuthenticatedData).ToBytes();
        byte[] plaintext = OpenContent(suite, secretTree, leaf, RatchetTypeOf(message.ContentType), senderData, aad, message.Ciphertext,
            out int plaintextLength);
        try
        {
            var (applicationData, proposal, commit, auth) =
                ReadPrivateMessageContent(plaintext.AsMemory(0, plaintextLength), message.ContentType);
            var framed = new FramedContent(message.GroupId, message.Epoch, Sender.Member(leaf), message.AuthenticatedData,
                message.ContentType, applicationData, proposal, commit);
            return new UnprotectedPrivateMessage(
                new AuthenticatedContent(WireFormat.MlsPrivateMessage, framed, auth), leaf, senderData.Generation);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext.AsSpan(0, plaintextLength));
            ArrayPool<byte>.Shared.Return(plaintext);
        }
    }

    private static RatchetType RatchetTypeOf(ContentType contentType)
        => contentType == ContentType.Application ? RatchetType.Application : RatchetType.Handshake;

    // PrivateMessageContent (RFC 9420 §6.3.1): the body as the content type says, the auth data, then
    // zeros, in a pooled buffer the caller wipes and returns. Application data is copied once.
    private static byte[] RentPrivateMessageContent(AuthenticatedContent content, PaddingPolicy padding, out int length)
    {
        var framed = content.Content;
        var auth = new TlsWriter(16 + content.Auth.Signature.Length + (content.Auth.ConfirmationTag?.Length ?? 0));
        content.Auth.Encode(auth, framed.ContentType);
        byte[] buffer;
        int unpadded;
        if (framed.ApplicationData is { } data)
        {
            var header = new TlsWriter(8);
            header.WriteVarint((uint)data.Length);
            unpadded = checked(header.Length + data.Length + auth.Length);
            length = checked(unpadded + padding.PaddingFor(unpadded));
            buffer = ArrayPool<byte>.Shared.Rent(length);
            header.WrittenSpan.CopyTo(buffer);
            data.CopyTo(buffer.AsSpan(header.Length));
        }
        else
        {
            var body = new TlsWriter(512);
            FramedContent.WriteBody(body, framed.ContentType, framed.ApplicationData, framed.Proposal, framed.Commit);
            unpadded = checked(body.Length + auth.Length);
            length = checked(unpadded + padding.PaddingFor(unpadded));
            buffer = ArrayPool<byte>.Shared.Rent(length);
            body.WrittenSpan.CopyTo(buffer);
            body.Clear();
        }
        auth.WrittenSpan.CopyTo(buffer.AsSpan(unpadded - auth.Length));
        buffer.AsSpan(unpadded, length - unpadded).Clear();
        return buffer;
    }

    // RFC 9420 §6.3.1: "the first four bytes of the nonce are XORed with the reuse_guard".
    private static void GuardNonce(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> reuseGuard, Span<byte> guarded)
    {
        nonce.CopyTo(guarded);
        for (int i = 0; i < reuseGuard.Length; i++)
        {
            guarded[i] ^= reuseGuard[i];
        }
    }

    private static byte[] SealSenderData(CipherSuite suite, ReadOnlySpan<byte> senderDataSecret, FramedContent framed,
        byte[] ciphertext, SenderData senderData)
    {
        byte[] aad = new SenderDataAad(framed.GroupId, framed.Epoch, framed.ContentType).ToBytes();
        var (key, nonce) = SenderDataKeys.Derive(suite, senderDataSecret, ciphertext);
        byte[] plaintext = senderData.ToBytes();
        try
        {
            return suite.AeadSeal(key, nonce, aad, plaintext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(nonce);
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static SenderData OpenSenderData(CipherSuite suite, ReadOnlySpan<byte> senderDataSecret, PrivateMessage message)
    {
        byte[] aad = new SenderDataAad(message.GroupId, message.Epoch, message.ContentType).ToBytes();
        var (key, nonce) = SenderDataKeys.Derive(suite, senderDataSecret, message.Ciphertext);
        byte[]? plaintext;
        try
        {
            plaintext = suite.AeadOpen(key, nonce, aad, message.EncryptedSenderData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(nonce);
        }
        if (plaintext is null)
        {
            throw new MlsProtocolException(MlsError.SenderDataUndecryptable, "The private message's sender data could not be decrypted.");
        }
        try
        {
            return TlsReader.Decode(plaintext, SenderData.Decode);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    // Opens the content with the sender's key of the stated generation into a pooled buffer (the caller
    // wipes and returns it). The key is consumed only if the content authenticates: a forged or tampered
    // copy must not burn the key of the genuine one, nor move the ratchet (RFC 9420 §9.2).
    private static byte[] OpenContent(CipherSuite suite, SecretTree secretTree, LeafIndex leaf, RatchetType type,
        SenderData senderData, byte[] aad, byte[] ciphertext, out int plaintextLength)
    {
        int length = ciphertext.Length - suite.AeadTagLength;
        byte[] plaintext = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        bool opened;
        try
        {
            opened = secretTree.TryOpen(leaf, type, senderData.Generation, key =>
            {
                if (length < 0)
                {
                    return false;
                }
                Span<byte> nonce = stackalloc byte[key.Nonce.Length];
                try
                {
                    GuardNonce(key.Nonce, senderData.ReuseGuard, nonce);
                    return suite.AeadOpen(key.Key, nonce, aad, ciphertext, plaintext.AsSpan(0, length));
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(nonce);
                }
            });
        }
        catch
        {
            CryptographicOperations.ZeroMemory(plaintext.AsSpan(0, Math.Max(length, 0)));
            ArrayPool<byte>.Shared.Return(plaintext);
            throw;
        }

        if (!opened)
        {
            // A failed AEAD open has already cleared the destination.
            ArrayPool<byte>.Shared.Return(plaintext);
            throw new MlsProtocolException(MlsError.ContentUndecryptable, "The private message could not be decrypted.");
        }
        plaintextLength = length;
        return plaintext;
    }

    // RFC 9420 §6.3.1: PrivateMessageContent is the body, the auth data, then padding that
    // "MUST contain all zero bytes"; a receiver rejects a message whose padding is not.
    private static (byte[]? ApplicationData, Proposal? Proposal, Commit? Commit, FramedContentAuthData Auth)
        ReadPrivateMessageContent(ReadOnlyMemory<byte> plaintext, ContentType contentType)
    {
        // Everything read is copied out of the plaintext, whose pooled buffer is wiped and reused afterwards.
        var reader = new TlsReader(plaintext);
        var (applicationData, proposal, commit) = FramedContent.ReadBody(reader, contentType);
        var auth = FramedContentAuthData.Decode(reader, contentType);
        if (plaintext.Span[reader.Position..].ContainsAnyExcept((byte)0))
        {
            throw new MlsProtocolException(MlsError.PaddingNonZero, "The private message's padding contains a non-zero byte.");
        }
        return (applicationData, proposal, commit, auth);
    }
}
