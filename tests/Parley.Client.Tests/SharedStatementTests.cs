using System.Text;
using Parley.Client.Moderation;
using Parley.Client.Network;
using Parley.Content;
using Xunit;

namespace Parley.Client.Tests;

/// <summary>The byte strings the client and the server both build from Parley.Content (operator request signatures,
/// the channel extension, subscriber pseudonyms, the audit chain), checked against vectors computed independently
/// (Python's hashlib) from docs/server-protocol.md and docs/channels.md.</summary>
public sealed class SharedStatementTests
{
    [Fact]
    public void An_operator_request_statement_has_the_documented_bytes()
    {
        byte[] statement = OperatorRequestStatement.Create("post", "/v1/admin/accounts/bob/suspend?x=%C3%A9", 1_700_000_000,
            "AAECAwQFBgcICQoLDA0ODw", Encoding.UTF8.GetBytes("""{"reason":"spam"}"""));

        Assert.Equal("5061726C6579206F70657261746F7220763100504F5354002F76312F61646D696E2F6163636F756E74732F626F622F73757370656E643F78"
                     + "3D25433325413900313730303030303030300041414543417751464267634943516F4C4441304F4477000239CAECC27B45B72235CA016A0F"
                     + "4BFDB7C5A718D30D32E64CB8804F63D68A16", Convert.ToHexString(statement));
    }

    [Fact]
    public void The_channel_extension_has_the_documented_layout_and_other_versions_are_not_read()
    {
        byte[] data = ChannelExtensionFormat.Encode("news", ["alice", "bob"]);
        Assert.Equal("01046E6577730A05616C69636503626F62", Convert.ToHexString(data));
        Assert.Equal(new Parley.Client.Channels.ChannelExtension("news", ["bob", "alice"]).ToExtension().Data, data);

        Assert.True(ChannelExtensionFormat.TryRead(data, out byte version, out byte[] name, out var admins));
        Assert.Equal((1, "news"), (version, Encoding.UTF8.GetString(name)));
        Assert.Equal(["alice", "bob"], admins.Select(a => Encoding.UTF8.GetString(a)));
        Assert.True(ChannelExtensionFormat.TryRead(new byte[] { 2, 0xFF }, out version, out name, out admins));
        Assert.Equal((2, 0, 0), (version, name.Length, admins.Count));
        Assert.False(ChannelExtensionFormat.TryRead(data.AsMemory(0, data.Length - 1), out _, out _, out _));
        Assert.False(ChannelExtensionFormat.TryRead(data.Append((byte)0).ToArray(), out _, out _, out _));
    }

    [Fact]
    public void A_subscriber_pseudonym_names_only_its_key()
        => Assert.Equal("anon:66687aadf862bd776c8fc18b8e9f8e20", ChannelPseudonym.IdentityOf(new byte[32]));

    [Fact]
    public void The_operator_s_audit_check_finds_a_changed_entry_and_a_log_missing_its_start()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var entries = new List<AuditEntryResponse>();
        byte[] previous = AuditHashChain.Genesis;
        foreach (var (sequence, action) in new[] { (1L, "account.suspend"), (2L, "account.restore"), (3L, "report.close") })
        {
            previous = AuditHashChain.Next(previous, sequence, at.AddSeconds(sequence), action, "bob", "why");
            entries.Add(new AuditEntryResponse(sequence, at.AddSeconds(sequence), action, "bob", "why", previous));
        }

        Assert.Null(AuditChain.FirstBroken(entries));
        Assert.Equal(2L, AuditChain.FirstBroken([entries[0], entries[1] with { Reason = "another reason" }, entries[2]]));
        Assert.Equal(3L, AuditChain.FirstBroken([entries[0], entries[2]]));
        Assert.Equal(2L, AuditChain.FirstBroken(entries.Skip(1).ToList()));
    }
}
