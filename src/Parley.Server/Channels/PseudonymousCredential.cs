// docs/channels.md, "Subscriber anonymity": a subscriber's leaf in a private channel carries a basic credential whose
// identity is ASCII "anon:" || 32 hex digits of SHA-256(leaf signature key)[0..16], with a fresh per-channel key
// (derived by Parley.Content's ChannelPseudonym, shared with the clients).
using System.Text;
using Parley.Content;
using Parley.Mls.Messages;

namespace Parley.Server.Channels;

/// <summary>The pseudonymous credential of a channel subscriber: it names no device or account, only its own key,
/// so members see subscribers as pseudonyms. The server maps such a leaf to the device that asked to join.</summary>
public static class PseudonymousCredential
{
    /// <summary>The identity prefix.</summary>
    public const string Prefix = ChannelPseudonym.Prefix;

    private static readonly byte[] PrefixBytes = Encoding.ASCII.GetBytes(Prefix);

    /// <summary>The identity for a leaf with <paramref name="signatureKey"/>.</summary>
    public static byte[] IdentityFor(ReadOnlySpan<byte> signatureKey)
        => Encoding.ASCII.GetBytes(ChannelPseudonym.IdentityOf(signatureKey));

    /// <summary>Whether the leaf claims to be pseudonymous (a basic credential starting with "anon:").</summary>
    public static bool IsPseudonymous(LeafNode leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        return leaf.Credential.Type == CredentialType.Basic && leaf.Credential.Identity is { } identity
               && identity.AsSpan().StartsWith(PrefixBytes);
    }

    /// <summary>Whether the leaf's credential is exactly the pseudonym of its own signature key.</summary>
    public static bool IsWellFormed(LeafNode leaf)
        => IsPseudonymous(leaf) && leaf.Credential.Identity.AsSpan().SequenceEqual(IdentityFor(leaf.SignatureKey));
}
