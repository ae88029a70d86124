using System.Security.Cryptography;
using Parley.Client.Accounts;
using Parley.Client.Backup;
using Parley.Client.Identity;
using Parley.Mls.Crypto;
using Xunit;

namespace Parley.Client.Tests;

/// <summary>A device link's history bundle (docs/device-linking.md, "History"): the backup format under a link key, never
/// taken for a backup or the other way round, and the approval that carries its blob id and key.</summary>
public sealed class LinkHistoryFormatTests
{
    private static byte[] Seal(byte[] plaintext, BackupSecret secret)
    {
        using var output = new MemoryStream();
        using (var writer = BackupWriter.Create(output, secret, 1024))
        {
            writer.Write(plaintext);
            writer.Complete();
        }
        return output.ToArray();
    }

    private static (BackupManifest, byte[]) Read(byte[] file, BackupSecret secret, bool linkHistory)
    {
        using var input = new MemoryStream(file);
        using var reader = BackupReader.Open(input, secret);
        return BackupContents.Read(reader, _ => { }, linkHistory: linkHistory);
    }

    private static byte[] Contents(bool withAccountKey)
    {
        using var plain = new MemoryStream();
        var records = new BackupRecordWriter(plain);
        using var account = AccountIdentityKey.Generate();
        records.Write(BackupRecordKind.Manifest,
            new BackupManifest(new Uri("https://parley.example/"), "alice", account.PublicKey, "device", DateTimeOffset.UnixEpoch, 0).Encode());
        if (withAccountKey)
        {
            records.Write(BackupRecordKind.AccountKey, account.ExportPrivateKey());
        }
        return plain.ToArray();
    }

    [Fact]
    public void A_history_bundle_and_a_backup_never_open_as_each_other()
    {
        using var key = BackupKey.Generate();
        byte[] bundle = Seal(Contents(withAccountKey: false), BackupSecret.ForLinkHistory(key));
        byte[] backup = Seal(Contents(withAccountKey: true), BackupSecret.FromKey(key));

        var asBackup = Assert.Throws<BackupFormatException>(() => Read(bundle, BackupSecret.FromKey(key), linkHistory: false));
        Assert.Equal(BackupProblem.WrongKeyKind, asBackup.Problem);
        Assert.Contains("history bundle of a device link, not a backup", asBackup.Message);
        var asBundle = Assert.Throws<BackupFormatException>(() => Read(backup, BackupSecret.ForLinkHistory(key), linkHistory: true));
        Assert.Equal(BackupProblem.WrongKeyKind, asBundle.Problem);

        var (manifest, accountKey) = Read(bundle, BackupSecret.ForLinkHistory(key), linkHistory: true);
        Assert.Equal("alice", manifest.Account);
        Assert.Empty(accountKey);
    }

    [Fact]
    public void A_history_bundle_that_carries_an_account_key_is_refused()
    {
        using var key = BackupKey.Generate();
        byte[] bundle = Seal(Contents(withAccountKey: true), BackupSecret.ForLinkHistory(key));
        var e = Assert.Throws<BackupFormatException>(() => Read(bundle, BackupSecret.ForLinkHistory(key), linkHistory: true));
        Assert.Contains("account key", e.Message);
        // And a backup without one is no backup.
        byte[] keyless = Seal(Contents(withAccountKey: false), BackupSecret.FromKey(key));
        Assert.Throws<BackupFormatException>(() => Read(keyless, BackupSecret.FromKey(key), linkHistory: false));
    }

    [Fact]
    public void A_history_bundle_cut_short_or_under_another_key_is_refused()
    {
        using var key = BackupKey.Generate();
        using var other = BackupKey.Generate();
        byte[] bundle = Seal(new byte[5000], BackupSecret.ForLinkHistory(key));
        Assert.Equal(BackupProblem.WrongKey,
            Assert.Throws<BackupFormatException>(() => Read(bundle, BackupSecret.ForLinkHistory(other), linkHistory: true)).Problem);
        foreach (int cut in new[] { 1, 16, 1040, bundle.Length - BackupHeader.Size - 1 })
        {
            Assert.Equal(BackupProblem.Damaged,
                Assert.Throws<BackupFormatException>(() => Read(bundle[..^cut], BackupSecret.ForLinkHistory(key), linkHistory: true)).Problem);
        }
    }

    [Fact]
    public void An_approval_carries_the_history_reference_and_one_without_it_still_opens()
    {
        var pair = CipherSuite.Get(1).Hpke.GenerateKeyPair();
        var code = new LinkCode(pair.PublicKey);
        byte[] seed = RandomNumberGenerator.GetBytes(32);
        var history = new LinkHistory(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), RandomNumberGenerator.GetBytes(32), 123_456);

        var opened = LinkApproval.Open(new LinkApproval("alice", seed, new Uri("https://parley.example/"), history).Seal(code), code, pair.PrivateKey);
        Assert.NotNull(opened.History);
        Assert.Equal(history.BlobId, opened.History.BlobId);
        Assert.Equal(history.Key, opened.History.Key);
        Assert.Equal(history.Size, opened.History.Size);
        Assert.DoesNotContain(Convert.ToHexString(history.Key), opened.History.ToString(), StringComparison.OrdinalIgnoreCase);

        var plain = LinkApproval.Open(new LinkApproval("alice", seed, new Uri("https://parley.example/")).Seal(code), code, pair.PrivateKey);
        Assert.Null(plain.History);
        Assert.Equal(seed, plain.IdentityPrivateKey);
    }

    [Theory]
    [InlineData("", 32, 1)]
    [InlineData("../../etc", 32, 1)]
    [InlineData("abc", 31, 1)]
    [InlineData("abc", 32, 0)]
    public void An_approval_with_a_malformed_history_reference_is_refused(string blobId, int keyLength, long size)
    {
        var pair = CipherSuite.Get(1).Hpke.GenerateKeyPair();
        var code = new LinkCode(pair.PublicKey);
        var history = new LinkHistory(blobId, new byte[keyLength], size);
        string approval = new LinkApproval("alice", new byte[32], new Uri("https://parley.example/"), history).Seal(code);
        Assert.Throws<FormatException>(() => LinkApproval.Open(approval, code, pair.PrivateKey));
    }
}
