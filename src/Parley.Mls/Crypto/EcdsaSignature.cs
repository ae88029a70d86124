// RFC 9420 §5.1.2 with ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512 (FIPS 186-5).
// Signatures are DER-encoded Ecdsa-Sig-Value (RFC 3279); keys use the encodings of NistCurve.
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
    {
        using var ecdsa = ImportPrivateKey(privateKey);
        return ecdsa.SignData(message, _hash, DSASignatureFormat.Rfc3279DerSequence);
    }

    public override bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (!_curve.TryPublicParameters(publicKey, out ECParameters parameters))
        {
            return false;
        }

        try
        {
            // Import rejects points that are not on the curve.
            using var ecdsa = ECDsa.Create(parameters);
            return ecdsa.VerifyData(message, signature, _hash, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private ECDsa ImportPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        Span<byte> scalar = stackalloc byte[_curve.FieldLength];
        if (!_curve.TryReadPrivateKey(privateKey, scalar))
        {
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
