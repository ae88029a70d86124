// RFC 9180 §4 (the KEM interface HPKE builds on: DeriveKeyPair, SerializePublicKey, Encap, Decap) and §7.1
// (the KEM's Nsecret, Nenc, Npk, Nsk). Implementations: the Diffie-Hellman KEMs of RFC 9180 (DhKem), ML-KEM-768
// of FIPS 203 (MlKem768) and the X-Wing hybrid of draft-connolly-cfrg-xwing-kem (XWingKem).
using System.Security.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>A key encapsulation mechanism as HPKE uses it. Keys, encapsulated keys and shared secrets are byte
/// strings of the lengths the KEM declares; nothing else in the MLS code assumes a length.</summary>
internal abstract class Kem
{
    private protected Kem(ushort id, int privateKeyLength, int publicKeyLength, int encapsulatedKeyLength, int sharedSecretLength,
        int encapsulationRandomnessLength)
    {
        Id = id;
        PrivateKeyLength = privateKeyLength;
        PublicKeyLength = publicKeyLength;
        EncapsulatedKeyLength = encapsulatedKeyLength;
        SharedSecretLength = sharedSecretLength;
        EncapsulationRandomnessLength = encapsulationRandomnessLength;
    }

    /// <summary>The HPKE kem_id.</summary>
    public ushort Id { get; }

    /// <summary>Nsk: length of a serialized private key.</summary>
    public int PrivateKeyLength { get; }

    /// <summary>Npk: length of a serialized public key.</summary>
    public int PublicKeyLength { get; }

    /// <summary>Nenc: length of the encapsulated key (the KEM output).</summary>
    public int EncapsulatedKeyLength { get; }

    /// <summary>Nsecret: length of the shared secret.</summary>
    public int SharedSecretLength { get; }

    /// <summary>How many random bytes one encapsulation consumes (the ephemeral key's input keying material,
    /// ML-KEM's message m, or X-Wing's eseed).</summary>
    public int EncapsulationRandomnessLength { get; }

    /// <summary>True when the KEM resists a quantum adversary (ML-KEM, and the hybrids that contain it).</summary>
    public virtual bool IsPostQuantum => false;

    /// <summary>Whether a received public key has this KEM's form: its length and, for the KEMs with a cheap
    /// check (ML-KEM's FIPS 203 §7.2 modulus check), its content. Encapsulation checks fully either way.</summary>
    public virtual bool IsWellFormedPublicKey(ReadOnlySpan<byte> publicKey) => publicKey.Length == PublicKeyLength;

    /// <summary>DeriveKeyPair(ikm): a key pair determined by the input keying material.</summary>
    public abstract HpkeKeyPair DeriveKeyPair(ReadOnlySpan<byte> ikm);

    /// <summary>The serialized public key of a serialized private key; throws on an invalid private key.</summary>
    public abstract byte[] PublicKeyFromPrivate(ReadOnlySpan<byte> privateKey);

    /// <summary>Encap(pkR) with the randomness given (<see cref="EncapsulationRandomnessLength"/> bytes);
    /// returns enc, or null when <paramref name="publicKeyR"/> is not a valid public key of this KEM.</summary>
    public abstract byte[]? Encap(ReadOnlySpan<byte> publicKeyR, ReadOnlySpan<byte> randomness, Span<byte> sharedSecret);

    /// <summary>Decap(enc, skR); false when enc or the private key is invalid.</summary>
    public abstract bool TryDecap(ReadOnlySpan<byte> enc, ReadOnlySpan<byte> privateKeyR, Span<byte> sharedSecret);

    /// <summary>A fresh random key pair: DeriveKeyPair on Nsk random bytes.</summary>
    public HpkeKeyPair GenerateKeyPair()
    {
        Span<byte> ikm = stackalloc byte[PrivateKeyLength];
        RandomNumberGenerator.Fill(ikm);
        try
        {
            return DeriveKeyPair(ikm);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ikm);
        }
    }

    /// <summary>Looks up a KEM Parley implements by its HPKE kem_id.</summary>
    public static Kem? TryGet(ushort kemId) => kemId switch
    {
        0x0010 => DhKemNist.P256,
        0x0011 => DhKemNist.P384,
        0x0012 => DhKemNist.P521,
        0x0020 => DhKemX25519.Instance,
        0x0021 => DhKemX448.Instance,
        MlKem768.KemId => MlKem768.Instance,
        XWingKem.KemId => XWingKem.Instance,
        _ => null,
    };

    public override string ToString() => $"KEM 0x{Id:X4}";
}
