// RFC 9420 §8 (key schedule), §8.1 (group context), §12.4.3.1 (joining via Welcome),
// §6.1 (confirmation tag).
//
//                   init_secret_[n-1]
//                          |
//    commit_secret --> KDF.Extract
//                          |
//                  ExpandWithLabel(., "joiner", GroupContext_[n], KDF.Nh) = joiner_secret
//                          |
//  psk_secret (or 0) --> KDF.Extract --> DeriveSecret(., "welcome") = welcome_secret
//                          |
//                  ExpandWithLabel(., "epoch", GroupContext_[n], KDF.Nh) = epoch_secret
//
// KDF.Extract takes its salt from the top and its input keying material from the left.
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;

namespace Parley.Mls.KeySchedule;

/// <summary>The MLS key schedule: derives an epoch's secrets from the previous init_secret, the
/// commit_secret and the psk_secret. An absent commit_secret or psk_secret is passed as
/// <see cref="ZeroSecret"/> (KDF.Nh zero bytes); a new group's first init_secret is random
/// (<see cref="NewInitSecret"/>).</summary>
/// <remarks>Named EpochKeySchedule rather than KeySchedule: a class named like its namespace
/// cannot be referenced by simple name from inside Parley.Mls.*.</remarks>
public static class EpochKeySchedule
{
    /// <summary>Advances to a new epoch: derives joiner_secret from <paramref name="initSecret"/> (the
    /// previous epoch's) and <paramref name="commitSecret"/>, then every secret of the epoch whose
    /// context is <paramref name="newContext"/>.</summary>
    public static EpochSecrets Advance(CipherSuite suite, ReadOnlySpan<byte> initSecret, ReadOnlySpan<byte> commitSecret, ReadOnlySpan<byte> pskSecret, GroupContext newContext)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(newContext);
        RequireLength(suite, initSecret, nameof(initSecret));
        RequireLength(suite, commitSecret, nameof(commitSecret));
        RequireLength(suite, pskSecret, nameof(pskSecret));
        RequireSuite(suite, newContext);

        byte[] context = newContext.ToBytes();
        byte[] extracted = suite.KdfExtract(initSecret, commitSecret);
        byte[] joinerSecret;
        try
        {
            joinerSecret = suite.ExpandWithLabel(extracted, "joiner", context, suite.HashLength);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(extracted);
        }
        return FromOwnedJoinerSecret(suite, joinerSecret, pskSecret, context);
    }

    /// <summary>Derives the epoch a Welcome brings a new member into, from the joiner_secret of its
    /// GroupSecrets, the psk_secret of its PSKs and the GroupContext of its GroupInfo.</summary>
    public static EpochSecrets FromJoinerSecret(CipherSuite suite, ReadOnlySpan<byte> joinerSecret, ReadOnlySpan<byte> pskSecret, GroupContext context)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(context);
        RequireLength(suite, joinerSecret, nameof(joinerSecret));
        RequireLength(suite, pskSecret, nameof(pskSecret));
        RequireSuite(suite, context);
        return FromOwnedJoinerSecret(suite, joinerSecret.ToArray(), pskSecret, context.ToBytes());
    }

    /// <summary>welcome_secret = DeriveSecret(KDF.Extract(joiner_secret, psk_secret), "welcome"); a new
    /// member needs it to decrypt the GroupInfo before it knows the GroupContext.</summary>
    public static byte[] WelcomeSecret(CipherSuite suite, ReadOnlySpan<byte> joinerSecret, ReadOnlySpan<byte> pskSecret)
    {
        ArgumentNullException.ThrowIfNull(suite);
        RequireLength(suite, joinerSecret, nameof(joinerSecret));
        RequireLength(suite, pskSecret, nameof(pskSecret));
        byte[] member = suite.KdfExtract(joinerSecret, pskSecret);
        try
        {
            return suite.DeriveSecret(member, "welcome");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(member);
        }
    }

    /// <summary>The AEAD key and nonce that encrypt a Welcome's GroupInfo (RFC 9420 §12.4.3.1):
    /// ExpandWithLabel(welcome_secret, "key", "", AEAD.Nk) and (…, "nonce", "", AEAD.Nn).</summary>
    public static (byte[] Key, byte[] Nonce) WelcomeKeyAndNonce(CipherSuite suite, ReadOnlySpan<byte> welcomeSecret)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return (
            suite.ExpandWithLabel(welcomeSecret, "key", ReadOnlySpan<byte>.Empty, suite.AeadKeyLength),
            suite.ExpandWithLabel(welcomeSecret, "nonce", ReadOnlySpan<byte>.Empty, suite.AeadNonceLength));
    }

    /// <summary>confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash) (RFC 9420 §6.1).</summary>
    public static byte[] ConfirmationTag(CipherSuite suite, ReadOnlySpan<byte> confirmationKey, ReadOnlySpan<byte> confirmedTranscriptHash)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return suite.Mac(confirmationKey, confirmedTranscriptHash);
    }

    /// <summary>Checks a confirmation tag in constant time.</summary>
    public static bool VerifyConfirmationTag(CipherSuite suite, ReadOnlySpan<byte> confirmationKey, ReadOnlySpan<byte> confirmedTranscriptHash, ReadOnlySpan<byte> tag)
    {
        byte[] expected = ConfirmationTag(suite, confirmationKey, confirmedTranscriptHash);
        bool valid = CryptographicOperations.FixedTimeEquals(expected, tag);
        // The tag a forged commit should have carried: keep it nowhere.
        CryptographicOperations.ZeroMemory(expected);
        return valid;
    }

    /// <summary>KDF.Nh zero bytes: the commit_secret of a Commit without a path, and the psk_secret
    /// of a transition without PSKs.</summary>
    public static byte[] ZeroSecret(CipherSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return new byte[suite.HashLength];
    }

    /// <summary>A fresh random init_secret for the first epoch of a new group (RFC 9420 §11).</summary>
    public static byte[] NewInitSecret(CipherSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return RandomNumberGenerator.GetBytes(suite.HashLength);
    }

    // Takes ownership of joinerSecret; zeroes the intermediate member and epoch secrets.
    private static EpochSecrets FromOwnedJoinerSecret(CipherSuite suite, byte[] joinerSecret, ReadOnlySpan<byte> pskSecret, byte[] context)
    {
        byte[]? member = null, epoch = null, welcome = null;
        try
        {
            member = suite.KdfExtract(joinerSecret, pskSecret);
            welcome = suite.DeriveSecret(member, "welcome");
            epoch = suite.ExpandWithLabel(member, "epoch", context, suite.HashLength);
            var secrets = EpochSecrets.FromEpochSecret(suite, joinerSecret, welcome, epoch);
            welcome = null;
            return secrets;
        }
        catch
        {
            CryptographicOperations.ZeroMemory(joinerSecret);
            CryptographicOperations.ZeroMemory(welcome);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(member);
            CryptographicOperations.ZeroMemory(epoch);
        }
    }

    private static void RequireLength(CipherSuite suite, ReadOnlySpan<byte> secret, string name)
    {
        if (secret.Length != suite.HashLength)
        {
            throw new ArgumentException($"The secret must be KDF.Nh = {suite.HashLength} bytes, got {secret.Length}.", name);
        }
    }

    private static void RequireSuite(CipherSuite suite, GroupContext context)
    {
        if (context.CipherSuite != suite.Id)
        {
            throw new ArgumentException($"The group context names cipher suite {context.CipherSuite}, not {suite.Id}.", nameof(context));
        }
    }
}
