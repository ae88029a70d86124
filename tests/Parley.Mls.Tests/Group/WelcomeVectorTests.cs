// RFC 9420 §12.4.3.1 (joining via Welcome message): the official welcome.json vectors.
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Parley.Mls.Tests.Vectors;
using Xunit;

namespace Parley.Mls.Tests.Group;

public sealed class WelcomeVectorTests
{
    public static IEnumerable<object[]> Cases() => VectorFile.Cases("welcome");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Welcome_decrypts_and_its_group_info_verifies(int index, ushort cipherSuite)
    {
        var v = VectorFile.Load("welcome")[index];
        var suite = CipherSuite.Get(cipherSuite);
        var keyPackage = MlsMessage.Decode(v.Hex("key_package")).KeyPackage!;
        var welcome = MlsMessage.Decode(v.Hex("welcome")).Welcome!;
        byte[] initPriv = v.Hex("init_priv");

        // The vector gives only the init key, which is all that decrypting needs.
        using var bundle = KeyPackageBundle.ForWelcomeDecryption(keyPackage, initPriv);
        var (secrets, groupInfo) = WelcomeJoin.Decrypt(welcome, bundle, MlsGroupOptions.Default, out byte[] pskSecret);

        Assert.True(groupInfo.Verify(suite, v.Hex("signer_pub")));
        using var epoch = EpochKeySchedule.FromJoinerSecret(suite, secrets.JoinerSecret, pskSecret, groupInfo.GroupContext);
        Assert.True(epoch.VerifyConfirmationTag(groupInfo.GroupContext.ConfirmedTranscriptHash, groupInfo.ConfirmationTag));
    }
}
