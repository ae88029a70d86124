// RFC 9420 §6 (MLSMessage) and §6.3 (PrivateMessage): the clear header in front of the ciphertext.
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using ContentFranking = Parley.Content.Franking;

namespace Parley.Server.Franking;

/// <summary>Reads the franking commitment a sender put in a PrivateMessage's authenticated_data, which MLS
/// sends in the clear (and authenticates as AEAD associated data).</summary>
public static class FrankedMessage
{
    /// <summary>The commitment of <paramref name="mlsMessage"/> when it is a PrivateMessage whose authenticated_data
    /// is a version-1 franking AAD; false otherwise. Reads only the header, never the ciphertext.</summary>
    public static bool TryReadCommitment(ReadOnlyMemory<byte> mlsMessage, out byte[] commitment)
    {
        commitment = [];
        try
        {
            var r = new TlsReader(mlsMessage);
            if (r.ReadUInt16() != ProtocolVersion.Mls10 || r.ReadUInt16() != (ushort)WireFormat.MlsPrivateMessage)
            {
                return false;
            }
            r.ReadOpaqueMemory(); // group_id
            r.ReadUInt64(); // epoch
            r.ReadUInt8(); // content_type
            ReadOnlyMemory<byte> aad = r.ReadOpaqueMemory();
            return ContentFranking.TryDecodeAad(aad.Span, out commitment);
        }
        catch (MlsDecodeException)
        {
            return false;
        }
    }
}
