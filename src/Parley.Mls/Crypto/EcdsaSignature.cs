// RFC 9420 §5.1.2 with ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512 (FIPS 186-5).
// Signatures are DER-encoded Ecdsa-Sig-Value (RFC 3279); keys use the encodings of NistCurve: Parley
// writes uncompressed points (RFC 9420 §5.1.1) and reads compressed ones too (SEC 1 §2.3.4), as ts-mls
// sends them.
using System.Security.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>ECDSA over a NIST curve with a DER-encoded signature, using the platform's ECDsa.</summary>
internal sealed class EcdsaSignature : SignatureScheme
{
    public static readonly EcdsaSignature P256Sha256 = new(0x0403, NistCurve.P256, HashAlgorithmName.SHA256);
    public static readonly EcdsaSignature P384Sha384 = new(0x0503, NistCurve.P384, HashAlgorithmName.SHA384);
    public static readonly EcdsaSignature P521Sha512 = new(0x0603, NistCurve.P521, HashAlgorithmName.SHA512);

    private readonly NistCurve _curve;
    private readonly HashAlgorithmName _hash;
    // Importing a scalar alone makes the platform compute the public point; keep the imported keys.
    private readonly ImportedKeyCache<ECDsa> _keys = new(ecdsa => ecdsa.Dispose());
    // Importing a public point validates it, which costs about as much as verifying (docs/benchmarks.md, MLS
    // observations); a member verifies the same few senders again and again.
    private readonly ImportedKeyCache<ECDsa> _publicKeys = new(ecdsa => ecdsa.Dispose(), capacity: 64);

    private EcdsaSignature(ushort id, NistCurve curve, HashAlgorithmName hash)
    {
        Id = id;
        _curve = curve;
        _hash = hash;
    }

    public override ushort Id { get; }

    public override SignatureKeyPair GenerateKeyPair()
    {
        using var ecdsa = ECDsa.Create(_curve.Curve);
        ECParameters parameters = ecdsa.ExportParameters(true);
        try
        {
            return new SignatureKeyPair(_curve.SerializePrivateKey(parameters.D!), _curve.SerializePublicKey(parameters.Q));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    public override byte[] PublicKeyFromPrivate(ReadOnlySpan<byte> privateKey)
    {
        using var ecdsa = ImportPrivateKey(privateKey);
        return _curve.SerializePublicKey(ecdsa.ExportParameters(false).Q);
    }

    public override byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> message)
        => Sign(privateKey, ReadOnlySpan<byte>.Empty, message);

    /// <summary>ECDSA hashes its input once, so the prefix and message are hashed in turn, never joined.</summary>
    public override byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> message)
    {
        Span<byte> hash = stackalloc byte[HashLength];
        HashJoined(prefix, message, hash);
        var lease = _keys.Take(privateKey);
        var ecdsa = lease.Item ?? ImportPrivateKey(privateKey);
        try
        {
            return ecdsa.SignHash(hash, DSASignatureFormat.Rfc3279DerSequence);
        }
        finally
        {
            _keys.Return(lease, ecdsa);
        }
    }

    public override bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
        => Verify(publicKey, ReadOnlySpan<byte>.Empty, message, signature);

    public override bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        var lease = _publicKeys.Take(publicKey);
        ECDsa? ecdsa = lease.Item;
        if (ecdsa is null)
        {
            // Only on a miss: decompressing a compressed key costs a modular exponentiation.
            if (!_curve.TryPublicParametersAnyForm(publicKey, out ECParameters parameters))
            {
                return false;
            }

            try
            {
                // Import rejects points that are not on the curve; such a key is never cached.
                ecdsa = ECDsa.Create(parameters);
            }
            catch (CryptographicException)
            {
                return false;
            }
        }

        Span<byte> hash = stackalloc byte[HashLength];
        HashJoined(prefix, message, hash);
        try
        {
            return ecdsa.VerifyHash(hash, signature, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
        finally
        {
            _publicKeys.Return(lease, ecdsa);
        }
    }

    public override void ClearKeyCache()
    {
        _keys.Clear();
        _publicKeys.Clear();
    }

    private int HashLength => _hash == HashAlgorithmName.SHA256 ? 32 : _hash == HashAlgorithmName.SHA384 ? 48 : 64;

    private void HashJoined(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> message, Span<byte> hash)
    {
        if (prefix.IsEmpty)
        {
            CryptographicOperations.HashData(_hash, message, hash);
            return;
        }

        using var hasher = IncrementalHash.CreateHash(_hash);
        hasher.AppendData(prefix);
        hasher.AppendData(message);
        hasher.GetHashAndReset(hash);
    }

    private ECDsa ImportPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        Span<byte> scalar = stackalloc byte[_curve.FieldLength];
        if (!_curve.TryReadPrivateKey(privateKey, scalar))
        {
            CryptographicOperations.ZeroMemory(scalar);
            throw new ArgumentException("The private key is not a valid scalar for the curve.", nameof(privateKey));
        }

        ECParameters parameters = _curve.PrivateParameters(scalar);
        CryptographicOperations.ZeroMemory(scalar);
        try
        {
            return ECDsa.Create(parameters);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }
}
