// RFC 9420 §6.3 (decoding a private message: the reconstructed AuthenticatedContent and its sender).
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Framing;

/// <summary>A decrypted PrivateMessage: its authenticated content (wire format mls_private_message,
/// signature not yet verified), the member leaf that sent it and the ratchet generation it used.</summary>
public sealed record UnprotectedPrivateMessage(AuthenticatedContent Content, LeafIndex Sender, uint Generation)
{
    // The content may be application plaintext: keep it out of logs.
    public override string ToString()
        => $"UnprotectedPrivateMessage({Content.Content.ContentType} from {Sender}, generation {Generation})";
}
