// RFC 9180 Appendix A: test vectors for the base mode (mode_base = 0x00) of every KEM/KDF/AEAD
// combination the RFC lists, extracted into hpke-base-vectors.json.
using System.Text.Json;
using Parley.Mls.Crypto;
using Xunit;

namespace Parley.Mls.Tests.Rfc9180;

public sealed class HpkeBaseModeVectorTests
{
    private static readonly Lazy<JsonElement[]> Vectors = new(() =>
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Rfc9180", "hpke-base-vectors.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    });

    /// <summary>One case per base-mode vector: its index and the RFC's section title.</summary>
    public static IEnumerable<object[]> Cases()
        => Vectors.Value.Select((v, i) => new object[] { i, v.GetProperty("name").GetString()! });

    [Fact]
    public void Every_base_mode_section_of_the_rfc_is_present()
    {
        // X25519/AES-128-GCM, X25519/ChaCha20Poly1305, P-256/SHA-256/AES-128-GCM, P-256/SHA-512/AES-128-GCM,
        // P-256/ChaCha20Poly1305, P-521/SHA-512/AES-256-GCM and X25519/export-only (A.1 to A.7).
        Assert.Equal(7, Vectors.Value.Length);
        Assert.All(Vectors.Value, v => Assert.Equal(0, v.GetProperty("mode").GetInt32()));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DeriveKeyPair_gives_the_ephemeral_and_recipient_keys(int index, string name)
    {
        var (v, hpke) = Load(index, name);

        HpkeKeyPair ephemeral = hpke.DeriveKeyPair(Hex(v, "ikmE"));
        HpkeKeyPair recipient = hpke.DeriveKeyPair(Hex(v, "ikmR"));

        Assert.Equal(Hex(v, "skEm"), ephemeral.PrivateKey);
        Assert.Equal(Hex(v, "pkEm"), ephemeral.PublicKey);
        Assert.Equal(Hex(v, "skRm"), recipient.PrivateKey);
        Assert.Equal(Hex(v, "pkRm"), recipient.PublicKey);
        Assert.Equal(Hex(v, "pkRm"), hpke.PublicKeyFromPrivate(Hex(v, "skRm")));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encap_and_Decap_agree_on_the_shared_secret(int index, string name)
    {
        var (v, hpke) = Load(index, name);
        byte[] sharedSecret = new byte[hpke.Kem.SharedSecretLength];
        byte[] decapsulated = new byte[hpke.Kem.SharedSecretLength];

        byte[]? enc = hpke.Kem.Encap(Hex(v, "pkRm"), Hex(v, "ikmE"), sharedSecret);
        bool opened = hpke.Kem.TryDecap(Hex(v, "enc"), Hex(v, "skRm"), decapsulated);

        Assert.Equal(Hex(v, "enc"), enc);
        Assert.Equal(Hex(v, "shared_secret"), sharedSecret);
        Assert.True(opened);
        Assert.Equal(Hex(v, "shared_secret"), decapsulated);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Key_schedule_gives_the_key_base_nonce_and_exporter_secret(int index, string name)
    {
        var (v, hpke) = Load(index, name);
        byte[] context = new byte[1 + 2 * hpke.Kdf.HashLength];
        hpke.KeyScheduleContext(Hex(v, "info"), context);

        var (enc, sender) = hpke.SetupBaseS(Hex(v, "pkRm"), Hex(v, "info"), Hex(v, "ikmE"));
        using var _ = sender;
        using HpkeContext recipient = hpke.SetupBaseR(Hex(v, "enc"), Hex(v, "skRm"), Hex(v, "info"));

        Assert.Equal(Hex(v, "key_schedule_context"), context);
        Assert.Equal(Hex(v, "enc"), enc);
        foreach (HpkeContext ctx in new[] { sender, recipient })
        {
            Assert.Equal(Hex(v, "key"), ctx.Key.ToArray());
            Assert.Equal(Hex(v, "base_nonce"), ctx.BaseNonce.ToArray());
            Assert.Equal(Hex(v, "exporter_secret"), ctx.ExporterSecret.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_encryption_matches_at_its_sequence_number(int index, string name)
    {
        var (v, hpke) = Load(index, name);
        var encryptions = v.GetProperty("encryptions").EnumerateArray().ToDictionary(e => e.GetProperty("seq").GetInt32());
        if (encryptions.Count == 0)
        {
            Assert.Equal(0xFFFF, hpke.AeadId); // the export-only vector has no encryptions
            return;
        }

        var (_, sender) = hpke.SetupBaseS(Hex(v, "pkRm"), Hex(v, "info"), Hex(v, "ikmE"));
        using var s = sender;
        using HpkeContext recipient = hpke.SetupBaseR(Hex(v, "enc"), Hex(v, "skRm"), Hex(v, "info"));
        int last = encryptions.Keys.Max();
        int matched = 0;
        for (int seq = 0; seq <= last; seq++)
        {
            // Messages between the listed sequence numbers advance both contexts as the RFC's do.
            bool listed = encryptions.TryGetValue(seq, out JsonElement e);
            byte[] aad = listed ? Hex(e, "aad") : [(byte)seq];
            byte[] pt = listed ? Hex(e, "pt") : [1, 2, 3];

            byte[] ct = sender.Seal(aad, pt);
            byte[]? opened = recipient.Open(aad, ct);

            Assert.Equal(pt, opened);
            if (listed)
            {
                Assert.Equal(Hex(e, "ct"), ct);
                matched++;
            }
        }

        Assert.Equal(encryptions.Count, matched);
        Assert.Equal((ulong)last + 1, sender.SequenceNumber);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_export_matches(int index, string name)
    {
        var (v, hpke) = Load(index, name);
        var (_, sender) = hpke.SetupBaseS(Hex(v, "pkRm"), Hex(v, "info"), Hex(v, "ikmE"));
        using var s = sender;
        using HpkeContext recipient = hpke.SetupBaseR(Hex(v, "enc"), Hex(v, "skRm"), Hex(v, "info"));

        var exports = v.GetProperty("exports").EnumerateArray().ToArray();
        Assert.NotEmpty(exports);
        foreach (JsonElement x in exports)
        {
            byte[] exporterContext = Hex(x, "exporter_context");
            int length = x.GetProperty("L").GetInt32();
            Assert.Equal(Hex(x, "exported_value"), sender.Export(exporterContext, length));
            Assert.Equal(Hex(x, "exported_value"), recipient.Export(exporterContext, length));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Tampered_first_ciphertext_does_not_open(int index, string name)
    {
        var (v, hpke) = Load(index, name);
        var first = v.GetProperty("encryptions").EnumerateArray().FirstOrDefault();
        if (first.ValueKind != JsonValueKind.Object)
        {
            return; // export-only: nothing to decrypt
        }

        byte[] ct = Hex(first, "ct");
        byte[] aad = Hex(first, "aad");
        Assert.Equal(Hex(first, "pt"), hpke.Open(Hex(v, "skRm"), Hex(v, "enc"), Hex(v, "info"), aad, ct));

        for (int position = 0; position < ct.Length; position += ct.Length - 1)
        {
            byte[] tampered = (byte[])ct.Clone();
            tampered[position] ^= 0x01;
            Assert.Null(hpke.Open(Hex(v, "skRm"), Hex(v, "enc"), Hex(v, "info"), aad, tampered));
        }

        byte[] otherAad = [.. aad, 0];
        Assert.Null(hpke.Open(Hex(v, "skRm"), Hex(v, "enc"), Hex(v, "info"), otherAad, ct));
        Assert.Null(hpke.Open(Hex(v, "skRm"), Hex(v, "enc"), "other info"u8, aad, ct));
    }

    private static (JsonElement Vector, Hpke Hpke) Load(int index, string name)
    {
        JsonElement v = Vectors.Value[index];
        Assert.Equal(name, v.GetProperty("name").GetString());
        Hpke? hpke = Hpke.TryCreate(
            (ushort)v.GetProperty("kem_id").GetInt32(), (ushort)v.GetProperty("kdf_id").GetInt32(), (ushort)v.GetProperty("aead_id").GetInt32());
        Assert.NotNull(hpke);
        return (v, hpke);
    }

    private static byte[] Hex(JsonElement e, string property) => Convert.FromHexString(e.GetProperty(property).GetString()!);
}
