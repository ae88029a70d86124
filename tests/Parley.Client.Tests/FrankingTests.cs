using System.Security.Cryptography;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Xunit;

namespace Parley.Client.Tests;

/// <summary>Message franking (docs/client-envelope.md §1): the commitment, the AAD, and what a changed envelope does.</summary>
public sealed class FrankingTests
{
    private static readonly DateTimeOffset SentAt = DateTimeOffset.FromUnixTimeMilliseconds(0x0102030405);
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    // Computed independently (Python's hmac module) from the bytes in docs/client-envelope.md.
    private const string VectorEnvelope = "00010001026D310000000102030405030268690120000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";
    private const string VectorFrankedBytes = "00010001026D31000000010203040503026869";
    private const string VectorCommitment = "902076D44B45E95E1D9256F232C2C9B2C15D86E910B27E41FFD60E6A514572C7";

    [Fact]
    public void A_franked_text_envelope_has_the_documented_bytes_and_commitment()
    {
        byte[] envelope = new ContentEnvelope("m1", SentAt, new TextContent("hi"), Key).Encode();
        Assert.Equal(VectorEnvelope, Convert.ToHexString(envelope));

        Assert.True(Franking.TrySplit(envelope, out byte[] franked, out byte[] fk));
        Assert.Equal(VectorFrankedBytes, Convert.ToHexString(franked));
        Assert.Equal(Key, fk);
        Assert.Equal(VectorCommitment, Convert.ToHexString(Franking.Commit(fk, franked)));
        Assert.Equal("01" + VectorCommitment, Convert.ToHexString(Franking.AadFor(envelope)));
        Assert.True(Franking.Verify(envelope, Convert.FromHexString(VectorCommitment)));
    }

    [Fact]
    public void The_aad_round_trips_and_anything_else_is_not_a_franking_aad()
    {
        byte[] commitment = RandomNumberGenerator.GetBytes(32);
        byte[] aad = Franking.EncodeAad(commitment);
        Assert.Equal(Franking.AadSize, aad.Length);
        Assert.True(Franking.TryDecodeAad(aad, out byte[] decoded));
        Assert.Equal(commitment, decoded);

        Assert.False(Franking.TryDecodeAad([], out _));
        Assert.False(Franking.TryDecodeAad(aad[..^1], out _));
        Assert.False(Franking.TryDecodeAad([.. aad, 0], out _));
        aad[0] = 2;
        Assert.False(Franking.TryDecodeAad(aad, out _));
        Assert.Throws<ArgumentException>(() => Franking.EncodeAad(new byte[31]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(10)]
    [InlineData(18)]
    public void Changing_any_byte_of_the_franked_bytes_fails_verification(int position)
    {
        byte[] envelope = new ContentEnvelope("m1", SentAt, new TextContent("hi"), Key).Encode();
        byte[] commitment = Franking.Commit(Key, envelope[..^Franking.TrailerSize]);
        envelope[position] ^= 0x01;
        Assert.False(Franking.Verify(envelope, commitment));
    }

    [Fact]
    public void A_different_franking_key_or_commitment_fails_verification()
    {
        byte[] envelope = new ContentEnvelope("m1", SentAt, new TextContent("hi"), Key).Encode();
        byte[] commitment = Convert.FromHexString(VectorCommitment);

        byte[] otherKey = (byte[])envelope.Clone();
        otherKey[^1] ^= 0x80;
        Assert.False(Franking.Verify(otherKey, commitment));

        byte[] otherCommitment = (byte[])commitment.Clone();
        otherCommitment[0] ^= 1;
        Assert.False(Franking.Verify(envelope, otherCommitment));
        Assert.False(Franking.Verify(envelope, commitment[..31]));
    }

    [Fact]
    public void A_forger_who_writes_a_new_envelope_cannot_match_the_original_commitment()
    {
        byte[] original = new ContentEnvelope("m1", SentAt, new TextContent("see you at 5"), Franking.NewKey()).Encode();
        byte[] commitment = Franking.AadFor(original)[1..];

        // The reporter invents a worse message under the same id and its own franking key: its commitment differs.
        byte[] forged = new ContentEnvelope("m1", SentAt, new TextContent("I will hurt you"), Franking.NewKey()).Encode();
        Assert.True(Franking.Verify(forged, Franking.AadFor(forged)[1..]));
        Assert.False(Franking.Verify(forged, commitment));
    }

    [Fact]
    public void An_envelope_without_a_franking_key_is_not_franked()
    {
        byte[] plain = new ContentEnvelope("m1", SentAt, new TextContent("hi")).Encode();
        Assert.False(Franking.TrySplit(plain, out _, out _));
        Assert.False(Franking.Verify(plain, new byte[32]));
        Assert.Throws<ArgumentException>(() => Franking.AadFor(plain));

        // A key of another length is not a franking key either.
        byte[] shortKey = new ContentEnvelope("m1", SentAt, new TextContent("hi"), new byte[16]).Encode();
        Assert.False(Franking.TrySplit(shortKey, out _, out _));
        Assert.Throws<ArgumentException>(() => Franking.Commit(new byte[16], plain));
    }

    [Fact]
    public void A_franked_envelope_round_trips_and_keeps_its_key()
    {
        var envelope = new ContentEnvelope("m1", SentAt, new TextContent("hi"), Franking.NewKey());
        byte[] bytes = envelope.Encode();
        var decoded = ContentEnvelope.Decode(bytes);
        Assert.Equal(envelope, decoded);
        Assert.Equal(bytes, decoded.Encode());
        Assert.True(Franking.Verify(decoded.Encode(), Franking.AadFor(bytes)[1..]));
    }

    [Fact]
    public void The_commitment_travels_as_authenticated_data_through_mls()
    {
        var (alice, bob) = TestMls.TwoMemberGroup();
        using (alice)
        using (bob)
        {
            byte[] envelope = new ContentEnvelope("m1", SentAt, new TextContent("hi bob"), Franking.NewKey()).Encode();
            byte[] wire = alice.EncryptApplicationMessage(envelope, Franking.AadFor(envelope)).ToBytes();

            var received = Assert.IsType<ApplicationMessage>(bob.ProcessMessage(wire));
            Assert.True(Franking.TryDecodeAad(received.AuthenticatedData, out byte[] commitment));
            Assert.True(Franking.Verify(received.Data, commitment));
            Assert.Equal(envelope, received.Data);
        }
    }

    [Fact]
    public void The_commitment_in_the_authenticated_data_cannot_be_changed_in_transit()
    {
        var (alice, bob) = TestMls.TwoMemberGroup();
        using (alice)
        using (bob)
        {
            byte[] envelope = new ContentEnvelope("m1", SentAt, new TextContent("hi bob"), Franking.NewKey()).Encode();
            byte[] aad = Franking.AadFor(envelope);
            byte[] wire = alice.EncryptApplicationMessage(envelope, aad).ToBytes();

            // The AAD is in clear in the PrivateMessage; flip a commitment byte where it sits.
            int at = wire.AsSpan().IndexOf(aad);
            Assert.True(at > 0);
            wire[at + 5] ^= 0x01;
            Assert.ThrowsAny<Parley.Mls.MlsException>(() => bob.ProcessMessage(wire));
        }
    }
}
