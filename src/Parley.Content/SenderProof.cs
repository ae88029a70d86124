// Parley reports of sealed messages (docs/safety.md, "Reports of sealed messages"): the sender is named by the MLS
// signature over the reported content, since the server's stamp of a sealed send names nobody.
//
//   proof   = uint32 sender_leaf || opaque sender_device_id<V> (ASCII) || opaque group_context<V> || opaque signature<V>
//   checked   FramedContentTBS(wire_format = mls_private_message,
//                              FramedContent(group_id, group_context.epoch, member(sender_leaf),
//                                            authenticated_data = 0x01 || c, application_data = envelope),
//                              group_context)
//             under the signature key the server registered for sender_device_id (RFC 9420 §6.1, "FramedContentTBS")
//
// A device's MLS leaves carry its registered signature key, so a signature that verifies under it was made by that device.
using System.Text;
using Parley.Mls;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Content;

/// <summary>What names the sender of a reported message: its leaf and device, the GroupContext the content was signed over,
/// and the sender's signature. Verifying it needs only the revealed envelope and the device's public key.</summary>
public sealed record SenderProof(uint SenderLeaf, string SenderDevice, byte[] GroupContext, byte[] Signature)
{
    /// <summary>The byte that starts a stored stamp that carries a proof (a bare stamp starts with its version, 0x01).</summary>
    private const byte StoredMarker = 0xF5;

    /// <summary>The proof's encoding.</summary>
    public byte[] Encode()
    {
        var w = new TlsWriter(GroupContext.Length + Signature.Length + 64);
        w.WriteUInt32(SenderLeaf);
        w.WriteOpaque(Encoding.ASCII.GetBytes(SenderDevice));
        w.WriteOpaque(GroupContext);
        w.WriteOpaque(Signature);
        return w.ToArray();
    }

    /// <summary>Decodes <see cref="Encode"/>'s output; throws <see cref="MlsDecodeException"/> when malformed.</summary>
    public static SenderProof Decode(ReadOnlyMemory<byte> data)
        => TlsReader.Decode(data, r => new SenderProof(r.ReadUInt32(), Encoding.ASCII.GetString(r.ReadOpaque()), r.ReadOpaque(), r.ReadOpaque()));

    /// <summary>True when the proof shows that the holder of <paramref name="signatureKey"/> signed <paramref name="envelope"/>
    /// (with its franking commitment as authenticated data) in group <paramref name="groupId"/>; false for anything malformed.</summary>
    public bool Verify(CipherSuite suite, ReadOnlySpan<byte> groupId, byte[] envelope, ReadOnlySpan<byte> signatureKey)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(envelope);
        try
        {
            GroupContext context = TlsReader.Decode(GroupContext, Mls.Messages.GroupContext.Decode);
            if (!context.GroupId.AsSpan().SequenceEqual(groupId))
            {
                return false;
            }
            var content = FramedContent.ForApplication(context.GroupId, context.Epoch, Sender.Member(new LeafIndex(SenderLeaf)),
                Franking.AadFor(envelope), envelope);
            MessageProtection.VerifySignature(suite, new AuthenticatedContent(WireFormat.MlsPrivateMessage, content,
                new FramedContentAuthData(Signature, null)), signatureKey, context);
            return true;
        }
        catch (Exception e) when (e is MlsDecodeException or MlsProtocolException or ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>A delivery stamp stored together with the proof of its message's sender.</summary>
    public static byte[] Store(byte[] stamp, SenderProof? proof)
    {
        ArgumentNullException.ThrowIfNull(stamp);
        if (proof is null)
        {
            return stamp;
        }
        var w = new TlsWriter(stamp.Length + proof.GroupContext.Length + 160);
        w.WriteUInt8(StoredMarker);
        w.WriteOpaque(stamp);
        w.WriteOpaque(proof.Encode());
        return w.ToArray();
    }

    /// <summary>The stamp and the proof (null for a stamp stored bare) from <see cref="Store"/>'s output.</summary>
    public static (byte[] Stamp, SenderProof? Proof) Load(byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.Length == 0 || stored[0] != StoredMarker)
        {
            return (stored, null);
        }
        return TlsReader.Decode(stored.AsMemory(1), r => (r.ReadOpaque(), Decode(r.ReadOpaque())));
    }
}
