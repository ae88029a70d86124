using Parley.Client.Storage;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Xunit;

namespace Parley.Client.Tests;

public sealed class KeyPackageStoreTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_stored_key_package_joins_the_group_its_welcome_names_after_a_restart()
    {
        var suite = TestMls.Suite;
        var bobSignature = suite.GenerateSignatureKeyPair();
        var (keyPackage, init, encryption) = TestMls.NewKeyPackage("bb", bobSignature);
        using (var store = _temp.Create())
        {
            using var transaction = store.BeginTransaction();
            transaction.AddKeyPackage(keyPackage.Ref(suite), new MlsMessage(keyPackage).ToBytes(), init, encryption);
            transaction.AddKeyPackage(TestMls.NewKeyPackage("bb", bobSignature).KeyPackage.Ref(suite), [1], new byte[32], new byte[32], lastResort: true);
            transaction.Commit();
            Assert.Equal(2, store.KeyPackageCount);
        }

        using var alice = MlsGroup.Create(suite, [1, 2, 3], Credential.Basic("aa"u8.ToArray()), suite.GenerateSignatureKeyPair());
        var commit = alice.Commit(new CommitOptions { Proposals = [new Add(keyPackage)] });
        alice.MergePendingCommit();
        var welcome = commit.Welcome!.Welcome!;

        using var reopened = _temp.Open();
        using var join = reopened.BeginTransaction();
        StoredKeyPackage? stored = null;
        foreach (var secrets in welcome.Secrets)
        {
            stored ??= join.FindKeyPackage(secrets.NewMember);
        }
        Assert.NotNull(stored);
        using (stored)
        {
            Assert.False(stored.LastResort);
            var package = MlsMessage.Decode(stored.Message).KeyPackage!;
            using var bundle = KeyPackageBundle.FromPrivateKeys(package, stored.InitPrivateKey, stored.EncryptionPrivateKey, bobSignature.PrivateKey);
            using var bob = MlsGroup.JoinFromWelcome(welcome, bundle);
            Assert.Equal(alice.Epoch, bob.Epoch);
            Assert.Equal(alice.EpochAuthenticator, bob.EpochAuthenticator);
            join.DeleteKeyPackage(stored.Ref);
        }
        Assert.All(stored.InitPrivateKey, b => Assert.Equal(0, b));
        join.Commit();
        Assert.Equal(1, reopened.KeyPackageCount);
        var remaining = Assert.Single(reopened.GetKeyPackages());
        using (remaining)
        {
            Assert.True(remaining.LastResort);
        }
    }

    [Fact]
    public void An_unknown_ref_finds_nothing()
    {
        using var store = _temp.Create();
        using var transaction = store.BeginTransaction();
        Assert.Null(transaction.FindKeyPackage(new byte[32]));
    }
}
