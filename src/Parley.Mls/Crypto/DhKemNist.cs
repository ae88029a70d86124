// RFC 9180 §7.1 DHKEM(P-256, HKDF-SHA256), DHKEM(P-384, HKDF-SHA384), DHKEM(P-521, HKDF-SHA512);
// §7.1.3 DeriveKeyPair by rejection sampling; §7.1.4 public-key validation (SP 800-56A partial validation).
// The DH output is the X coordinate of the shared point, Ndh = field length (32, 48, 66).
// HPKE public keys are read uncompressed only (unlike signature keys, see EcdsaSignature): RFC 9180 fixes
// Npk = Nenc = 1 + 2 * field length and binds those bytes into kem_context, and ts-mls, which sends
// compressed signature keys, serializes its HPKE keys uncompressed.
using System.Security.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>DHKEM over a NIST curve, using the platform's ECDH.</summary>
internal sealed class DhKemNist : DhKem
{
    public static readonly DhKemNist P256 = new(0x0010, Kdf.HkdfSha256, NistCurve.P256, 0xFF);
    public static readonly DhKemNist P384 = new(0x0011, Kdf.HkdfSha384, NistCurve.P384, 0xFF);
    public static readonly DhKemNist P521 = new(0x0012, Kdf.HkdfSha512, NistCurve.P521, 0x01);

    private readonly NistCurve _curve;
    private readonly byte _bitmask;

    private DhKemNist(ushort id, Kdf kdf, NistCurve curve, byte bitmask)
        : base(id, kdf, curve.FieldLength, curve.PublicKeyLength, curve.FieldLength)
    {
        _curve = curve;
        _bitmask = bitmask;
    }

    public override void DerivePrivateKey(ReadOnlySpan<byte> ikm, Span<byte> privateKey)
    {
        Span<byte> dkpPrk = stackalloc byte[Kdf.HashLength];
        Span<byte> counter = stackalloc byte[1];
        try
        {
            Kdf.LabeledExtract(SuiteId, ReadOnlySpan<byte>.Empty, "dkp_prk"u8, ikm, dkpPrk);
            for (int i = 0; i < 256; i++)
            {
                counter[0] = (byte)i;
                Kdf.LabeledExpand(SuiteId, dkpPrk, "candidate"u8, counter, privateKey);
                privateKey[0] &= _bitmask;
                if (_curve.IsValidScalar(privateKey))
                {
                    return;
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dkpPrk);
        }

        CryptographicOperations.ZeroMemory(privateKey);
        // DeriveKeyPairError: for these curves it happens with negligible probability (RFC 9180 §7.1.3).
        throw new CryptographicException("HPKE DeriveKeyPair found no valid scalar.");
    }

    public override byte[] PublicKeyFromPrivate(ReadOnlySpan<byte> privateKey)
    {
        Span<byte> scalar = stackalloc byte[PrivateKeyLength];
        if (!_curve.TryReadPrivateKey(privateKey, scalar))
        {
            CryptographicOperations.ZeroMemory(scalar);
            throw new ArgumentException("The private key is not a valid scalar for the curve.", nameof(privateKey));
        }

        ECParameters parameters = _curve.PrivateParameters(scalar);
        CryptographicOperations.ZeroMemory(scalar);
        try
        {
            using var ecdh = ECDiffieHellman.Create(parameters);
            return _curve.SerializePublicKey(ecdh.ExportParameters(false).Q);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    public override bool TryDh(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> dh, Span<byte> ownPublicKey)
    {
        Span<byte> scalar = stackalloc byte[PrivateKeyLength];
        if (!_curve.TryReadPrivateKey(privateKey, scalar) || !_curve.TryPublicParameters(publicKey, out ECParameters peerParameters))
        {
            CryptographicOperations.ZeroMemory(scalar);
            return false;
        }

        ECParameters parameters = _curve.PrivateParameters(scalar);
        CryptographicOperations.ZeroMemory(scalar);
        byte[]? z = null;
        try
        {
            // Importing the peer's point checks that it lies on the curve (and is not the identity).
            using var peer = ECDiffieHellman.Create(peerParameters);
            using var own = ECDiffieHellman.Create(parameters);
            z = own.DeriveRawSecretAgreement(peer.PublicKey);
            if (z.Length != DhLength)
            {
                return false;
            }

            z.CopyTo(dh);
            if (!ownPublicKey.IsEmpty)
            {
                _curve.SerializePublicKey(own.ExportParameters(false).Q).CopyTo(ownPublicKey);
            }

            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
            CryptographicOperations.ZeroMemory(z);
        }
    }
}
