// docs/channels.md, "Subscriber anonymity": a subscriber's leaf in a private channel carries a basic credential whose
// identity is ASCII "anon:" || 32 hex digits of SHA-256(leaf signature key)[0..16], with a fresh per-channel key.
// Derived only here, for the client that builds such leaves and the server that checks join requests.
using System.Security.Cryptography;

namespace Parley.Content;

/// <summary>The pseudonym of a channel subscriber: it names only the leaf's own signature key.</summary>
public static class ChannelPseudonym
{
    /// <summary>The prefix of a pseudonymous credential's identity.</summary>
    public const string Prefix = "anon:";

    /// <summary>The credential identity for <paramref name="signatureKey"/>: "anon:" + 32 lowercase hex digits.</summary>
    public static string IdentityOf(ReadOnlySpan<byte> signatureKey)
        => Prefix + Convert.ToHexStringLower(SHA256.HashData(signatureKey).AsSpan(0, 16));
}
