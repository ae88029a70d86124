// RFC 9420 §12.4.3.1 (EncryptWithLabel(init_key, "Welcome", encrypted_group_info, group_secrets)) on the
// RFC 9180 §5.1 key schedule. The HPKE info holds the whole encrypted GroupInfo (with the ratchet tree,
// O(n) bytes) and is the same for every new member, so its hash (key_schedule_context) is computed once
// rather than once per member: adding n members costs O(n), not O(n^2).
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;

namespace Parley.Mls.Group;

/// <summary>Encrypts GroupSecrets to many new members' init keys under one encrypted GroupInfo;
/// each result equals a single EncryptWithLabel call.</summary>
internal sealed class WelcomeSealer
{
    private readonly Hpke _hpke;
    private readonly byte[] _keyScheduleContext;

    public WelcomeSealer(CipherSuite suite, ReadOnlySpan<byte> encryptedGroupInfo)
    {
        _hpke = suite.Hpke;
        // EncryptContext { opaque label<V> = "MLS 1.0 Welcome"; opaque context<V> = encrypted_group_info; }
        var info = new TlsWriter(encryptedGroupInfo.Length + 32);
        info.WriteOpaque(Encoding.ASCII.GetBytes("MLS 1.0 Welcome"));
        info.WriteOpaque(encryptedGroupInfo);
        _keyScheduleContext = new byte[1 + 2 * _hpke.Kdf.HashLength];
        _hpke.KeyScheduleContext(info.WrittenSpan, _keyScheduleContext);
    }

    /// <summary>SealBase(init_key, info, "", group_secrets) with the precomputed key schedule context.</summary>
    public HpkeCiphertext Seal(ReadOnlySpan<byte> initKey, ReadOnlySpan<byte> groupSecrets)
    {
        var kem = _hpke.Kem;
        var kdf = _hpke.Kdf;
        var aead = _hpke.Aead;
        Span<byte> ikmE = stackalloc byte[kem.EncapsulationRandomnessLength];
        Span<byte> sharedSecret = stackalloc byte[kem.SharedSecretLength];
        Span<byte> secret = stackalloc byte[kdf.HashLength];
        Span<byte> key = stackalloc byte[aead.KeyLength];
        Span<byte> nonce = stackalloc byte[aead.NonceLength];
        try
        {
            RandomNumberGenerator.Fill(ikmE);
            byte[] enc = kem.Encap(initKey, ikmE, sharedSecret)
                ?? throw new MlsProtocolException(MlsError.HpkePublicKeyInvalid, "A new member's init key is not a valid public key.");
            kdf.LabeledExtract(_hpke.SuiteId, sharedSecret, "secret"u8, ReadOnlySpan<byte>.Empty, secret);
            kdf.LabeledExpand(_hpke.SuiteId, secret, "key"u8, _keyScheduleContext, key);
            kdf.LabeledExpand(_hpke.SuiteId, secret, "base_nonce"u8, _keyScheduleContext, nonce);
            byte[] ciphertext = new byte[groupSecrets.Length + Aead.TagLength];
            aead.Seal(key, nonce, ReadOnlySpan<byte>.Empty, groupSecrets, ciphertext);
            return new HpkeCiphertext(enc, ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ikmE);
            CryptographicOperations.ZeroMemory(sharedSecret);
            CryptographicOperations.ZeroMemory(secret);
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
