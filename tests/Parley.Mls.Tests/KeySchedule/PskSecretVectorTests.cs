// RFC 9420 §8.4 (pre-shared keys), checked against the psk_secret.json interop vectors.
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.KeySchedule;
using Parley.Mls.Tests.Vectors;
using Xunit;

namespace Parley.Mls.Tests.KeySchedule;

public sealed class PskSecretVectorTests
{
    private const byte ExternalPskType = 1;

    public static IEnumerable<object[]> Cases() => VectorFile.Cases("psk_secret");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Psk_secret_matches_the_vector(int index, ushort suiteId)
    {
        var v = VectorFile.Load("psk_secret")[index];
        var suite = CipherSuite.Get(suiteId);
        var psks = v.GetProperty("psks").EnumerateArray()
            .Select(p => (EncodedExternalPskId(p.Hex("psk_id"), p.Hex("psk_nonce")), p.Hex("psk")))
            .ToList();

        byte[] secret = PskSecret.Compute(suite, psks);

        Assert.Equal(Convert.ToHexStringLower(v.Hex("psk_secret")), Convert.ToHexStringLower(secret));
    }

    // PreSharedKeyID { PSKType psktype = external; opaque psk_id<V>; opaque psk_nonce<V>; }
    private static byte[] EncodedExternalPskId(byte[] pskId, byte[] nonce)
    {
        var w = new TlsWriter();
        w.WriteUInt8(ExternalPskType);
        w.WriteOpaque(pskId);
        w.WriteOpaque(nonce);
        return w.ToArray();
    }
}
