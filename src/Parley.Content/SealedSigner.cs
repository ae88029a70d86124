// Parley sealed sending (docs/protocol.md, "Sealed sending"): the signing side of one epoch's delivery credential.
using NSec.Cryptography;

namespace Parley.Content;

/// <summary>One epoch's delivery credential, derived from its seed once and kept for every sealed send of the epoch:
/// deriving the Ed25519 key pair per message cost the sender more than the signature itself. Dispose it when the epoch
/// ends; the private key lives in NSec's guarded memory and is wiped then.</summary>
public sealed class SealedSigner : IDisposable
{
    private readonly Key _key;

    /// <summary>Derives the key pair of <paramref name="seed"/> (the epoch's exporter value; the caller wipes it).</summary>
    public SealedSigner(ReadOnlySpan<byte> seed)
    {
        _key = SealedSender.Import(seed);
        DeliveryKey = _key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>The epoch's delivery key (the public key the server checks signatures with).</summary>
    public byte[] DeliveryKey { get; }

    /// <summary>Signs a sealed send of <paramref name="message"/> under <paramref name="messageId"/> to group
    /// <paramref name="groupId"/> (its raw MLS group id), as <see cref="SealedSender.Sign"/> does.</summary>
    public byte[] Sign(ReadOnlySpan<byte> groupId, string messageId, ReadOnlySpan<byte> message)
        => SignatureAlgorithm.Ed25519.Sign(_key, SealedSender.SignedBytes(groupId, messageId, message));

    /// <summary>Wipes the private key.</summary>
    public void Dispose() => _key.Dispose();
}
