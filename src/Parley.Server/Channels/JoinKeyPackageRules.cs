// RFC 9420 §10.1 (KeyPackage validation), as far as the server can check without a group, for the pseudonymous key
// package of a channel join request (docs/channels.md, "Subscriber anonymity").
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;

namespace Parley.Server.Channels;

/// <summary>Checks a join request's key package: an MLSMessage KeyPackage in the channel's cipher suite whose leaf
/// carries a well-formed "anon:" credential, valid signatures and a current lifetime.</summary>
public static class JoinKeyPackageRules
{
    /// <summary>The decoded package and its KeyPackageRef, or the reason it is refused (a sentence).</summary>
    public static (KeyPackage? Package, byte[]? Ref, string? Error) Validate(byte[]? data, ushort cipherSuite, DateTimeOffset now)
    {
        if (data is null || data.Length == 0)
        {
            return (null, null, "The key package is required.");
        }
        KeyPackage keyPackage;
        try
        {
            keyPackage = MlsMessage.Decode(data).KeyPackage ?? throw new MlsDecodeException("Not a key package.");
        }
        catch (MlsDecodeException)
        {
            return (null, null, "The key package does not decode as an MLSMessage carrying a KeyPackage.");
        }
        if (keyPackage.CipherSuite != cipherSuite || !CipherSuite.TryGet(cipherSuite, out CipherSuite? suite))
        {
            return (null, null, $"The key package must use the channel's cipher suite {cipherSuite}.");
        }
        LeafNode leaf = keyPackage.LeafNode;
        if (leaf.Source != LeafNodeSource.KeyPackage || leaf.Lifetime is null)
        {
            return (null, null, "The key package's leaf node must come from a key package and carry a lifetime.");
        }
        if (!PseudonymousCredential.IsWellFormed(leaf))
        {
            return (null, null,
                "A subscriber joins with a pseudonymous basic credential: \"anon:\" and 32 hex digits of SHA-256 of the leaf's fresh signature key.");
        }
        if (!leaf.Verify(suite) || !keyPackage.Verify(suite))
        {
            return (null, null, "The key package's signature does not verify.");
        }
        if (keyPackage.InitKey.AsSpan().SequenceEqual(leaf.EncryptionKey))
        {
            return (null, null, "The key package's init key must differ from its leaf encryption key.");
        }
        ulong seconds = (ulong)now.ToUnixTimeSeconds();
        if (leaf.Lifetime.NotBefore > seconds + 3600 || leaf.Lifetime.NotAfter <= seconds)
        {
            return (null, null, "The key package's lifetime does not cover the present.");
        }
        return (keyPackage, keyPackage.Ref(suite), null);
    }
}
