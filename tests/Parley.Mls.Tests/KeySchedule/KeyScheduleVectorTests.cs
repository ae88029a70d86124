// RFC 9420 §8 (key schedule), §8.5 (exporter), checked against the key-schedule.json interop vectors.
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Parley.Mls.Tests.Vectors;
using Xunit;

namespace Parley.Mls.Tests.KeySchedule;

public sealed class KeyScheduleVectorTests
{
    public static IEnumerable<object[]> Cases() => VectorFile.Cases("key-schedule");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_epoch_derives_the_vector_secrets(int index, ushort suiteId)
    {
        var v = VectorFile.Load("key-schedule")[index];
        var suite = CipherSuite.Get(suiteId);
        byte[] groupId = v.Hex("group_id");
        byte[] initSecret = v.Hex("initial_init_secret");

        ulong epoch = 0;
        foreach (var e in v.GetProperty("epochs").EnumerateArray())
        {
            var context = new GroupContext(suiteId, groupId, epoch, e.Hex("tree_hash"), e.Hex("confirmed_transcript_hash"), []);
            Assert.Equal(Hex(e.Hex("group_context")), Hex(context.ToBytes()));

            using var secrets = EpochKeySchedule.Advance(suite, initSecret, e.Hex("commit_secret"), e.Hex("psk_secret"), context);
            string at = $"epoch {epoch}";
            Assert.True(Hex(e.Hex("joiner_secret")) == Hex(secrets.JoinerSecret), at + " joiner_secret");
            Assert.True(Hex(e.Hex("welcome_secret")) == Hex(secrets.WelcomeSecret), at + " welcome_secret");
            Assert.True(Hex(e.Hex("init_secret")) == Hex(secrets.InitSecret), at + " init_secret");
            Assert.True(Hex(e.Hex("sender_data_secret")) == Hex(secrets.SenderDataSecret), at + " sender_data_secret");
            Assert.True(Hex(e.Hex("encryption_secret")) == Hex(secrets.EncryptionSecret), at + " encryption_secret");
            Assert.True(Hex(e.Hex("exporter_secret")) == Hex(secrets.ExporterSecret), at + " exporter_secret");
            Assert.True(Hex(e.Hex("epoch_authenticator")) == Hex(secrets.ExportEpochAuthenticator()), at + " epoch_authenticator");
            Assert.True(Hex(e.Hex("external_secret")) == Hex(secrets.ExternalSecret), at + " external_secret");
            Assert.True(Hex(e.Hex("confirmation_key")) == Hex(secrets.ConfirmationKey), at + " confirmation_key");
            Assert.True(Hex(e.Hex("membership_key")) == Hex(secrets.MembershipKey), at + " membership_key");
            Assert.True(Hex(e.Hex("resumption_psk")) == Hex(secrets.ExportResumptionPsk()), at + " resumption_psk");
            Assert.True(Hex(e.Hex("external_pub")) == Hex(secrets.ExternalPublicKey), at + " external_pub");

            // The vector's exporter label is a string (it happens to look like hex) used as is.
            var exporter = e.GetProperty("exporter");
            byte[] exported = secrets.Export(exporter.GetProperty("label").GetString()!, exporter.Hex("context"), exporter.GetProperty("length").GetInt32());
            Assert.True(Hex(exporter.Hex("secret")) == Hex(exported), at + " exporter");

            // A new member reaches the same epoch from the joiner_secret alone.
            Assert.Equal(Hex(e.Hex("welcome_secret")), Hex(EpochKeySchedule.WelcomeSecret(suite, e.Hex("joiner_secret"), e.Hex("psk_secret"))));
            using (var joined = EpochKeySchedule.FromJoinerSecret(suite, e.Hex("joiner_secret"), e.Hex("psk_secret"), context))
            {
                Assert.Equal(Hex(secrets.EncryptionSecret), Hex(joined.EncryptionSecret));
                Assert.Equal(Hex(secrets.InitSecret), Hex(joined.InitSecret));
            }

            initSecret = secrets.InitSecret.ToArray();
            epoch++;
        }
        Assert.True(epoch > 0);
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
