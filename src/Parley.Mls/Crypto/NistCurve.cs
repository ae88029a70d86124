// RFC 9180 §7.1.1 (SerializePublicKey: uncompressed SEC1 point) and §7.1.2 (SerializePrivateKey:
// fixed-length big-endian scalar) for the NIST curves P-256, P-384 and P-521 (SEC 1, FIPS 186-5);
// SEC 1 v2 §2.3.4 (Octet-String-to-Elliptic-Curve-Point) for signature keys sent compressed.
using System.Diagnostics;
using System.Numerics;
using System.Security.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>A NIST prime curve with the fixed-length encodings MLS and HPKE use for its keys:
/// private key = big-endian scalar of the field size, public key = 0x04 || X || Y.</summary>
internal sealed class NistCurve
{
    public static readonly NistCurve P256 = new(ECCurve.NamedCurves.nistP256, 32);
    public static readonly NistCurve P384 = new(ECCurve.NamedCurves.nistP384, 48);
    public static readonly NistCurve P521 = new(ECCurve.NamedCurves.nistP521, 66);

    private readonly byte[] _order;
    // y^2 = x^3 + a x + b over GF(p), for decompressing points; public values, so BigInteger's
    // variable-time arithmetic is fine.
    private readonly BigInteger _prime;
    private readonly BigInteger _a;
    private readonly BigInteger _b;

    private NistCurve(ECCurve curve, int fieldLength)
    {
        Curve = curve;
        FieldLength = fieldLength;
        using var ec = ECDiffieHellman.Create(curve);
        ECCurve explicitCurve = ec.ExportExplicitParameters(false).Curve;
        byte[] order = explicitCurve.Order!;
        _order = new byte[fieldLength];
        order.CopyTo(_order.AsSpan(fieldLength - order.Length));
        _prime = Unsigned(explicitCurve.Prime);
        _a = Unsigned(explicitCurve.A);
        _b = Unsigned(explicitCurve.B);
        // The square root below is the one for p = 3 (mod 4), true of all three NIST primes.
        Debug.Assert((_prime & 3) == 3);
    }

    public ECCurve Curve { get; }

    /// <summary>Length of a coordinate and of a serialized private key.</summary>
    public int FieldLength { get; }

    /// <summary>Length of a serialized (uncompressed) public key.</summary>
    public int PublicKeyLength => 1 + 2 * FieldLength;

    /// <summary>Whether <paramref name="scalar"/> (big-endian, FieldLength bytes) lies in [1, n - 1].</summary>
    public bool IsValidScalar(ReadOnlySpan<byte> scalar)
    {
        if (scalar.Length != FieldLength)
        {
            return false;
        }

        // The scalar is a private key: in time independent of its value, scalar < n exactly when
        // scalar - n borrows out of the top byte, and scalar != 0 when some byte is set.
        int borrow = 0;
        int bits = 0;
        for (int i = FieldLength - 1; i >= 0; i--)
        {
            int difference = scalar[i] - _order[i] - borrow;
            borrow = (difference >> 8) & 1;
            bits |= scalar[i];
        }

        return (borrow == 1) & (bits != 0);
    }

    /// <summary>Reads a serialized private key into a FieldLength-byte scalar; false unless it is in [1, n - 1].
    /// Keys with their leading zero bytes stripped are accepted: some implementations serialize P-521
    /// scalars in 65 bytes, and the interop test vectors contain such keys.</summary>
    public bool TryReadPrivateKey(ReadOnlySpan<byte> privateKey, Span<byte> scalar)
    {
        while (privateKey.Length > FieldLength && privateKey[0] == 0)
        {
            privateKey = privateKey[1..];
        }

        if (privateKey.IsEmpty || privateKey.Length > FieldLength)
        {
            return false;
        }

        scalar[..^privateKey.Length].Clear();
        privateKey.CopyTo(scalar[^privateKey.Length..]);
        return IsValidScalar(scalar);
    }

    /// <summary>Private-key parameters for a scalar read by <see cref="TryReadPrivateKey"/>; the caller
    /// zeroes <see cref="ECParameters.D"/> when done.</summary>
    public ECParameters PrivateParameters(ReadOnlySpan<byte> scalar)
        => new() { Curve = Curve, D = scalar.ToArray() };

    /// <summary>Parses 0x04 || X || Y; false when the encoding is malformed (curve membership is
    /// checked when the parameters are imported).</summary>
    public bool TryPublicParameters(ReadOnlySpan<byte> publicKey, out ECParameters parameters)
    {
        parameters = default;
        if (publicKey.Length != PublicKeyLength || publicKey[0] != 0x04)
        {
            return false;
        }

        parameters = new ECParameters
        {
            Curve = Curve,
            Q = new ECPoint
            {
                X = publicKey.Slice(1, FieldLength).ToArray(),
                Y = publicKey.Slice(1 + FieldLength, FieldLength).ToArray(),
            },
        };
        return true;
    }

    /// <summary>Parses a signature public key in either SEC 1 form: uncompressed (0x04 || X || Y) or
    /// compressed (0x02 or 0x03 || X, the prefix giving Y's parity). RFC 9420 §5.1.1 asks for the
    /// uncompressed form, which Parley always writes, but other implementations (ts-mls) send
    /// compressed keys that OpenMLS accepts too. False when the prefix or length is wrong, X is not a
    /// field element, or no point on the curve has that X; an uncompressed point's curve membership is
    /// checked when the parameters are imported.</summary>
    public bool TryPublicParametersAnyForm(ReadOnlySpan<byte> publicKey, out ECParameters parameters)
    {
        if (publicKey.Length != 1 + FieldLength || publicKey[0] is not (0x02 or 0x03))
        {
            return TryPublicParameters(publicKey, out parameters);
        }

        parameters = default;
        BigInteger x = new(publicKey[1..], isUnsigned: true, isBigEndian: true);
        if (x >= _prime)
        {
            return false;
        }

        // SEC 1 §2.3.4 step 2.4: alpha = x^3 + a x + b, beta = a square root of alpha, which for
        // p = 3 (mod 4) is alpha^((p + 1) / 4) when alpha is a square at all.
        BigInteger alpha = ((x * x + _a) * x + _b) % _prime;
        BigInteger beta = BigInteger.ModPow(alpha, (_prime + 1) >> 2, _prime);
        if (beta * beta % _prime != alpha)
        {
            return false;
        }

        int parity = publicKey[0] & 1;
        if ((int)(beta & 1) != parity)
        {
            // y = 0 has no point of the other parity (and no NIST curve has a point with y = 0).
            if (beta.IsZero)
            {
                return false;
            }

            beta = _prime - beta;
        }

        parameters = new ECParameters
        {
            Curve = Curve,
            Q = new ECPoint { X = publicKey[1..].ToArray(), Y = FieldElement(beta) },
        };
        return true;
    }

    /// <summary>0x04 || X || Y, each coordinate left-padded to the field length.</summary>
    public byte[] SerializePublicKey(ECPoint q)
    {
        byte[] output = new byte[PublicKeyLength];
        output[0] = 0x04;
        WritePadded(q.X!, output.AsSpan(1, FieldLength));
        WritePadded(q.Y!, output.AsSpan(1 + FieldLength, FieldLength));
        return output;
    }

    /// <summary>The private scalar left-padded to the field length.</summary>
    public byte[] SerializePrivateKey(byte[] d)
    {
        byte[] output = new byte[FieldLength];
        WritePadded(d, output);
        return output;
    }

    private static BigInteger Unsigned(byte[]? bigEndian) => new(bigEndian, isUnsigned: true, isBigEndian: true);

    private byte[] FieldElement(BigInteger value)
    {
        byte[] output = new byte[FieldLength];
        value.TryWriteBytes(output.AsSpan(FieldLength - value.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return output;
    }

    private static void WritePadded(ReadOnlySpan<byte> value, Span<byte> output)
    {
        if (value.Length > output.Length)
        {
            throw new CryptographicException("An elliptic-curve value is longer than the field.");
        }

        output[..^value.Length].Clear();
        value.CopyTo(output[^value.Length..]);
    }
}
