// RFC 9420 §8 (key schedule outputs), §8.5 (exporters), §8.7 (epoch authenticators),
// §6.3.2 (sender data keys), §6.1 and §6.2 (confirmation and membership tags).
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;

namespace Parley.Mls.KeySchedule;

/// <summary>The secrets of one epoch, derived from its epoch_secret (RFC 9420 §8, Table 4), plus the
/// joiner and welcome secrets of the transition into it and the next epoch's init_secret. The bytes
/// are zeroed on <see cref="Dispose"/> and never printed; code that needs a secret asks for it by name.</summary>
/// <remarks>Not thread-safe: a group serializes access to its epoch state.</remarks>
public sealed class EpochSecrets : IDisposable
{
    private static readonly byte[] LabelPrefix = "MLS 1.0 "u8.ToArray();

    private byte[]? _joinerSecret;
    private byte[]? _welcomeSecret;
    private readonly byte[] _senderDataSecret;
    private readonly byte[] _encryptionSecret;
    private readonly byte[] _exporterSecret;
    private readonly byte[] _externalSecret;
    private readonly byte[] _confirmationKey;
    private readonly byte[] _membershipKey;
    private readonly byte[] _resumptionPsk;
    private readonly byte[] _epochAuthenticator;
    private readonly byte[] _initSecret;
    private HpkeKeyPair? _externalKeyPair;
    private bool _disposed;

    // Takes ownership of every array passed in.
    private EpochSecrets(
        CipherSuite suite,
        byte[]? joinerSecret,
        byte[]? welcomeSecret,
        byte[] senderDataSecret,
        byte[] encryptionSecret,
        byte[] exporterSecret,
        byte[] externalSecret,
        byte[] confirmationKey,
        byte[] membershipKey,
        byte[] resumptionPsk,
        byte[] epochAuthenticator,
        byte[] initSecret)
    {
        Suite = suite;
        _joinerSecret = joinerSecret;
        _welcomeSecret = welcomeSecret;
        _senderDataSecret = senderDataSecret;
        _encryptionSecret = encryptionSecret;
        _exporterSecret = exporterSecret;
        _externalSecret = externalSecret;
        _confirmationKey = confirmationKey;
        _membershipKey = membershipKey;
        _resumptionPsk = resumptionPsk;
        _epochAuthenticator = epochAuthenticator;
        _initSecret = initSecret;
    }

    /// <summary>The cipher suite the secrets were derived with.</summary>
    public CipherSuite Suite { get; }

    /// <summary>Whether the joiner_secret and welcome_secret of the transition into this epoch are
    /// still held (they are needed to build a Welcome and can be deleted afterwards).</summary>
    public bool HasTransitionSecrets => _joinerSecret is not null;

    internal ReadOnlySpan<byte> JoinerSecret => Transition(_joinerSecret);

    internal ReadOnlySpan<byte> WelcomeSecret => Transition(_welcomeSecret);

    internal ReadOnlySpan<byte> SenderDataSecret => Live(_senderDataSecret);

    internal ReadOnlySpan<byte> EncryptionSecret => Live(_encryptionSecret);

    internal ReadOnlySpan<byte> ExporterSecret => Live(_exporterSecret);

    internal ReadOnlySpan<byte> ExternalSecret => Live(_externalSecret);

    internal ReadOnlySpan<byte> ConfirmationKey => Live(_confirmationKey);

    internal ReadOnlySpan<byte> MembershipKey => Live(_membershipKey);

    internal ReadOnlySpan<byte> ResumptionPsk => Live(_resumptionPsk);

    internal ReadOnlySpan<byte> EpochAuthenticator => Live(_epochAuthenticator);

    /// <summary>The init_secret that seeds the next epoch.</summary>
    internal ReadOnlySpan<byte> InitSecret => Live(_initSecret);

    /// <summary>The key pair derived from external_secret (RFC 9420 §8.3), computed on first use;
    /// its public key goes into the external_pub extension of a GroupInfo.</summary>
    internal HpkeKeyPair ExternalKeyPair
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _externalKeyPair ??= Suite.Hpke.DeriveKeyPair(_externalSecret);
        }
    }

    /// <summary>The public key of the external key pair (a copy), for the external_pub extension.</summary>
    public byte[] ExternalPublicKey => (byte[])ExternalKeyPair.PublicKey.Clone();

    /// <summary>Returns a copy of the epoch_authenticator, a value members may compare out of band
    /// to detect impersonation (RFC 9420 §8.7).</summary>
    public byte[] ExportEpochAuthenticator() => EpochAuthenticator.ToArray();

    /// <summary>Returns a copy of resumption_psk, the PSK that later epochs, reinitialized or branched
    /// groups inject to prove membership in this epoch (RFC 9420 §8.6).</summary>
    public byte[] ExportResumptionPsk() => ResumptionPsk.ToArray();

    /// <summary>MLS-Exporter(Label, Context, Length) (RFC 9420 §8.5); the label is encoded as UTF-8.</summary>
    public byte[] Export(string label, ReadOnlySpan<byte> context, int length)
    {
        ArgumentNullException.ThrowIfNull(label);
        return Export(Encoding.UTF8.GetBytes(label), context, length);
    }

    /// <summary>MLS-Exporter with a label given as raw bytes:
    /// ExpandWithLabel(DeriveSecret(exporter_secret, Label), "exported", Hash(Context), Length).</summary>
    public byte[] Export(ReadOnlySpan<byte> label, ReadOnlySpan<byte> context, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, ushort.MaxValue);
        byte[] derived = ExpandWithByteLabel(Suite, ExporterSecret, label, ReadOnlySpan<byte>.Empty, Suite.HashLength);
        try
        {
            return Suite.ExpandWithLabel(derived, "exported", Suite.Hash(context), length);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(derived);
        }
    }

    /// <summary>confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash) (RFC 9420 §6.1).</summary>
    public byte[] ComputeConfirmationTag(ReadOnlySpan<byte> confirmedTranscriptHash)
        => EpochKeySchedule.ConfirmationTag(Suite, ConfirmationKey, confirmedTranscriptHash);

    /// <summary>Checks a confirmation tag in constant time.</summary>
    public bool VerifyConfirmationTag(ReadOnlySpan<byte> confirmedTranscriptHash, ReadOnlySpan<byte> tag)
        => EpochKeySchedule.VerifyConfirmationTag(Suite, ConfirmationKey, confirmedTranscriptHash, tag);

    /// <summary>membership_tag = MAC(membership_key, AuthenticatedContentTBM) (RFC 9420 §6.2).</summary>
    public byte[] ComputeMembershipTag(ReadOnlySpan<byte> authenticatedContentTbm)
        => Suite.Mac(MembershipKey, authenticatedContentTbm);

    /// <summary>Checks a membership tag in constant time.</summary>
    public bool VerifyMembershipTag(ReadOnlySpan<byte> authenticatedContentTbm, ReadOnlySpan<byte> tag)
    {
        byte[] expected = ComputeMembershipTag(authenticatedContentTbm);
        bool valid = CryptographicOperations.FixedTimeEquals(expected, tag);
        // The tag a forged message should have carried: keep it nowhere.
        CryptographicOperations.ZeroMemory(expected);
        return valid;
    }

    /// <summary>The key and nonce that protect the sender data of a PrivateMessage whose content
    /// ciphertext is <paramref name="ciphertext"/> (RFC 9420 §6.3.2).</summary>
    public (byte[] Key, byte[] Nonce) DeriveSenderDataKeys(ReadOnlySpan<byte> ciphertext)
        => SenderDataKeys.Derive(Suite, SenderDataSecret, ciphertext);

    /// <summary>Creates the secret tree of this epoch (RFC 9420 §9) for a ratchet tree of
    /// <paramref name="leafCount"/> leaves, rooted at encryption_secret.</summary>
    public SecretTree CreateSecretTree(uint leafCount) => new(Suite, EncryptionSecret, leafCount);

    /// <summary>Zeroes and drops the joiner_secret and welcome_secret once any Welcome for this
    /// transition has been built (RFC 9420 §9.2 asks to delete consumed secrets).</summary>
    public void DeleteTransitionSecrets()
    {
        Wipe(ref _joinerSecret);
        Wipe(ref _welcomeSecret);
    }

    /// <summary>Writes every secret (for persisting group state). The writer then holds secrets:
    /// the caller must <see cref="TlsWriter.Clear"/> it when done.</summary>
    public void Encode(TlsWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ObjectDisposedException.ThrowIf(_disposed, this);
        writer.WriteUInt16(Suite.Id);
        writer.WriteBool(_joinerSecret is not null);
        if (_joinerSecret is not null)
        {
            writer.WriteOpaque(_joinerSecret);
            writer.WriteOpaque(_welcomeSecret!);
        }
        writer.WriteOpaque(_senderDataSecret);
        writer.WriteOpaque(_encryptionSecret);
        writer.WriteOpaque(_exporterSecret);
        writer.WriteOpaque(_externalSecret);
        writer.WriteOpaque(_confirmationKey);
        writer.WriteOpaque(_membershipKey);
        writer.WriteOpaque(_resumptionPsk);
        writer.WriteOpaque(_epochAuthenticator);
        writer.WriteOpaque(_initSecret);
    }

    /// <summary>Restores secrets written by <see cref="Encode"/>; throws <see cref="MlsDecodeException"/>
    /// when the input is malformed or belongs to another cipher suite.</summary>
    public static EpochSecrets Decode(TlsReader reader, CipherSuite suite)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(suite);
        ushort id = reader.ReadUInt16();
        if (id != suite.Id)
        {
            throw new MlsDecodeException($"Stored epoch secrets are for cipher suite {id}, expected {suite.Id}.");
        }
        // Secrets read before a malformed one are wiped, not left to the garbage collector.
        var read = new List<byte[]>(11);
        try
        {
            byte[]? joiner = null, welcome = null;
            if (reader.ReadBool())
            {
                joiner = ReadSecret(reader, suite, read);
                welcome = ReadSecret(reader, suite, read);
            }
            return new EpochSecrets(
                suite,
                joiner,
                welcome,
                ReadSecret(reader, suite, read),
                ReadSecret(reader, suite, read),
                ReadSecret(reader, suite, read),
                ReadSecret(reader, suite, read),
                ReadSecret(reader, suite, read),
                ReadSecret(reader, suite, read),
                ReadSecret(reader, suite, read),
                ReadSecret(reader, suite, read),
                ReadSecret(reader, suite, read));
        }
        catch
        {
            foreach (byte[] secret in read)
            {
                CryptographicOperations.ZeroMemory(secret);
            }
            throw;
        }
    }

    /// <summary>Rebuilds epoch secrets from stored values (copied); joiner and welcome secrets may be absent.</summary>
    internal static EpochSecrets FromStored(
        CipherSuite suite,
        ReadOnlySpan<byte> joinerSecret,
        ReadOnlySpan<byte> welcomeSecret,
        ReadOnlySpan<byte> senderDataSecret,
        ReadOnlySpan<byte> encryptionSecret,
        ReadOnlySpan<byte> exporterSecret,
        ReadOnlySpan<byte> externalSecret,
        ReadOnlySpan<byte> confirmationKey,
        ReadOnlySpan<byte> membershipKey,
        ReadOnlySpan<byte> resumptionPsk,
        ReadOnlySpan<byte> epochAuthenticator,
        ReadOnlySpan<byte> initSecret)
    {
        bool hasTransition = !joinerSecret.IsEmpty;
        return new EpochSecrets(
            suite,
            hasTransition ? Checked(suite, joinerSecret) : null,
            hasTransition ? Checked(suite, welcomeSecret) : null,
            Checked(suite, senderDataSecret),
            Checked(suite, encryptionSecret),
            Checked(suite, exporterSecret),
            Checked(suite, externalSecret),
            Checked(suite, confirmationKey),
            Checked(suite, membershipKey),
            Checked(suite, resumptionPsk),
            Checked(suite, epochAuthenticator),
            Checked(suite, initSecret));
    }

    /// <summary>Derives every secret of the epoch from epoch_secret (RFC 9420 §8, Table 4); takes
    /// ownership of <paramref name="joinerSecret"/> and <paramref name="welcomeSecret"/>.</summary>
    internal static EpochSecrets FromEpochSecret(CipherSuite suite, byte[] joinerSecret, byte[] welcomeSecret, ReadOnlySpan<byte> epochSecret)
    {
        string[] labels = ["sender data", "encryption", "exporter", "external", "confirm", "membership", "resumption", "authentication", "init"];
        var derived = new byte[labels.Length][];
        try
        {
            for (int i = 0; i < labels.Length; i++)
            {
                derived[i] = suite.DeriveSecret(epochSecret, labels[i]);
            }
        }
        catch
        {
            foreach (byte[]? secret in derived)
            {
                CryptographicOperations.ZeroMemory(secret);
            }
            throw;
        }
        return new(suite, joinerSecret, welcomeSecret,
            derived[0], derived[1], derived[2], derived[3], derived[4], derived[5], derived[6], derived[7], derived[8]);
    }

    /// <summary>Zeroes every secret, including the external private key if it was derived.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Wipe(ref _joinerSecret);
        Wipe(ref _welcomeSecret);
        CryptographicOperations.ZeroMemory(_senderDataSecret);
        CryptographicOperations.ZeroMemory(_encryptionSecret);
        CryptographicOperations.ZeroMemory(_exporterSecret);
        CryptographicOperations.ZeroMemory(_externalSecret);
        CryptographicOperations.ZeroMemory(_confirmationKey);
        CryptographicOperations.ZeroMemory(_membershipKey);
        CryptographicOperations.ZeroMemory(_resumptionPsk);
        CryptographicOperations.ZeroMemory(_epochAuthenticator);
        CryptographicOperations.ZeroMemory(_initSecret);
        if (_externalKeyPair is not null)
        {
            CryptographicOperations.ZeroMemory(_externalKeyPair.PrivateKey);
            _externalKeyPair = null;
        }
    }

    public override string ToString() => $"EpochSecrets(suite {Suite.Id}{(_disposed ? ", disposed" : "")})";

    /// <summary>ExpandWithLabel with a label of arbitrary bytes (exporter labels need not be ASCII).</summary>
    internal static byte[] ExpandWithByteLabel(CipherSuite suite, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> label, ReadOnlySpan<byte> context, int length)
    {
        var w = new TlsWriter(16 + label.Length + context.Length);
        w.WriteUInt16(checked((ushort)length));
        w.WriteVarint((uint)(LabelPrefix.Length + label.Length));
        w.WriteBytes(LabelPrefix);
        w.WriteBytes(label);
        w.WriteOpaque(context);
        return suite.KdfExpand(secret, w.WrittenSpan, length);
    }

    private ReadOnlySpan<byte> Live(byte[] secret)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return secret;
    }

    private ReadOnlySpan<byte> Transition(byte[]? secret)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return secret ?? throw new InvalidOperationException("The joiner and welcome secrets of this epoch have been deleted.");
    }

    private static void Wipe(ref byte[]? secret)
    {
        if (secret is not null)
        {
            CryptographicOperations.ZeroMemory(secret);
            secret = null;
        }
    }

    private static byte[] ReadSecret(TlsReader reader, CipherSuite suite, List<byte[]> read)
    {
        byte[] secret = reader.ReadOpaque();
        read.Add(secret);
        if (secret.Length != suite.HashLength)
        {
            throw new MlsDecodeException($"A stored epoch secret has {secret.Length} bytes, expected {suite.HashLength}.");
        }
        return secret;
    }

    private static byte[] Checked(CipherSuite suite, ReadOnlySpan<byte> secret)
    {
        if (secret.Length != suite.HashLength)
        {
            throw new ArgumentException($"An epoch secret must be {suite.HashLength} bytes, got {secret.Length}.");
        }
        return secret.ToArray();
    }
}
