// RFC 9420 §8: epoch secrets, their persistence, and the helpers built on them.
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Xunit;

namespace Parley.Mls.Tests.KeySchedule;

public sealed class EpochSecretsTests
{
    private static readonly CipherSuite Suite = CipherSuite.Get(1);

    private static readonly GroupContext Context = new(1, "group"u8.ToArray(), 1, new byte[32], new byte[32], []);

    private static EpochSecrets NewEpoch()
        => EpochKeySchedule.Advance(Suite, EpochKeySchedule.NewInitSecret(Suite), EpochKeySchedule.ZeroSecret(Suite), EpochKeySchedule.ZeroSecret(Suite), Context);

    [Fact]
    public void Restored_secrets_encode_to_the_same_bytes_and_export_the_same_values()
    {
        using var secrets = NewEpoch();
        var writer = new TlsWriter();
        secrets.Encode(writer);
        byte[] stored = writer.ToArray();
        writer.Clear();

        using var restored = TlsReader.Decode(stored, r => EpochSecrets.Decode(r, Suite));

        var again = new TlsWriter();
        restored.Encode(again);
        Assert.Equal(stored, again.ToArray());
        Assert.Equal(secrets.Export("test", "ctx"u8, 40), restored.Export("test", "ctx"u8, 40));
        Assert.Equal(secrets.ExternalPublicKey, restored.ExternalPublicKey);
        Assert.True(restored.HasTransitionSecrets);
    }

    [Fact]
    public void Deleted_transition_secrets_stay_deleted_after_a_restore()
    {
        using var secrets = NewEpoch();
        secrets.DeleteTransitionSecrets();
        var writer = new TlsWriter();
        secrets.Encode(writer);

        using var restored = TlsReader.Decode(writer.ToArray(), r => EpochSecrets.Decode(r, Suite));

        Assert.False(restored.HasTransitionSecrets);
        Assert.Throws<InvalidOperationException>(() => restored.JoinerSecret.ToArray());
        Assert.Equal(secrets.InitSecret.ToArray(), restored.InitSecret.ToArray());
    }

    [Fact]
    public void From_stored_rebuilds_the_same_epoch()
    {
        using var secrets = NewEpoch();
        using var rebuilt = EpochSecrets.FromStored(
            Suite, secrets.JoinerSecret, secrets.WelcomeSecret, secrets.SenderDataSecret, secrets.EncryptionSecret,
            secrets.ExporterSecret, secrets.ExternalSecret, secrets.ConfirmationKey, secrets.MembershipKey,
            secrets.ResumptionPsk, secrets.EpochAuthenticator, secrets.InitSecret);

        Assert.Equal(secrets.ExportEpochAuthenticator(), rebuilt.ExportEpochAuthenticator());
        Assert.Equal(secrets.Export("x", [], 16), rebuilt.Export("x", [], 16));
    }

    [Fact]
    public void Welcome_secret_and_key_follow_from_the_joiner_secret()
    {
        using var secrets = NewEpoch();
        byte[] zero = EpochKeySchedule.ZeroSecret(Suite);

        byte[] welcome = EpochKeySchedule.WelcomeSecret(Suite, secrets.JoinerSecret, zero);
        var (key, nonce) = EpochKeySchedule.WelcomeKeyAndNonce(Suite, welcome);

        Assert.Equal(secrets.WelcomeSecret.ToArray(), welcome);
        Assert.Equal(Suite.AeadKeyLength, key.Length);
        Assert.Equal(Suite.AeadNonceLength, nonce.Length);
    }

    [Fact]
    public void Confirmation_tag_verifies_only_for_the_right_transcript()
    {
        using var secrets = NewEpoch();
        byte[] transcript = Suite.Hash("transcript"u8);
        byte[] tag = secrets.ComputeConfirmationTag(transcript);

        Assert.True(secrets.VerifyConfirmationTag(transcript, tag));
        Assert.False(secrets.VerifyConfirmationTag(Suite.Hash("other"u8), tag));
        Assert.False(secrets.VerifyConfirmationTag(transcript, tag.AsSpan(1)));
    }

    [Fact]
    public void Text_form_reveals_no_secret_and_disposal_zeroes_access()
    {
        var secrets = NewEpoch();
        string text = secrets.ToString();
        foreach (byte[] secret in new[] { secrets.InitSecret.ToArray(), secrets.EncryptionSecret.ToArray(), secrets.ExporterSecret.ToArray() })
        {
            Assert.DoesNotContain(Convert.ToHexString(secret), text, StringComparison.OrdinalIgnoreCase);
        }

        secrets.Dispose();
        Assert.Throws<ObjectDisposedException>(() => secrets.Export("x", [], 16));
        Assert.Throws<ObjectDisposedException>(() => secrets.InitSecret.ToArray());
    }

    [Fact]
    public void Secrets_of_the_wrong_length_are_refused()
    {
        byte[] right = new byte[32];
        byte[] wrong = new byte[31];
        Assert.Throws<ArgumentException>(() => EpochKeySchedule.Advance(Suite, wrong, right, right, Context));
        Assert.Throws<ArgumentException>(() => EpochKeySchedule.Advance(Suite, right, right, wrong, Context));
        Assert.Throws<ArgumentException>(() => EpochKeySchedule.Advance(CipherSuite.Get(3), right, right, right, Context));
    }

    [Fact]
    public void No_psks_give_a_zero_psk_secret_and_psk_order_matters()
    {
        Assert.Equal(new byte[32], PskSecret.Compute(Suite, []));

        var a = (new byte[] { 1, 1, 0, 0 }, new byte[32]);
        var b = (new byte[] { 1, 1, 1, 0 }, Enumerable.Repeat((byte)7, 32).ToArray());
        Assert.NotEqual(PskSecret.Compute(Suite, [a, b]), PskSecret.Compute(Suite, [b, a]));
    }

    [Fact]
    public void Sender_data_sample_is_the_whole_ciphertext_when_shorter_than_the_hash()
    {
        byte[] secret = new byte[32];
        byte[] shortCiphertext = [1, 2, 3];
        var (key, _) = SenderDataKeys.Derive(Suite, secret, shortCiphertext);
        var (longKey, _) = SenderDataKeys.Derive(Suite, secret, [.. Enumerable.Range(0, 32).Select(i => (byte)i), 99, 100]);
        var (sameKey, _) = SenderDataKeys.Derive(Suite, secret, [.. Enumerable.Range(0, 32).Select(i => (byte)i)]);

        Assert.Equal(Suite.ExpandWithLabel(secret, "key", shortCiphertext, Suite.AeadKeyLength), key);
        Assert.Equal(sameKey, longKey);
    }
}
