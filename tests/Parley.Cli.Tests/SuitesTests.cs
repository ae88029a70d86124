using System.Text.Json;

namespace Parley.Cli.Tests;

/// <summary><c>parley suites</c> lists every implemented cipher suite, marks the post-quantum ones and says which Parley's
/// devices use.</summary>
public sealed class SuitesTests
{
    [Fact]
    public async Task Suites_marks_the_post_quantum_suites_in_json_and_text()
    {
        var json = await Cli.RunAsync("suites", "--json");
        var text = await Cli.RunAsync("suites");

        Assert.True(json.ExitCode == 0, json.ToString());
        var suites = JsonDocument.Parse(json.Output).RootElement.EnumerateArray()
            .ToDictionary(s => s.GetProperty("id").GetInt32(), s => (Name: s.GetProperty("name").GetString(), PostQuantum: s.GetProperty("postQuantum").GetBoolean()));
        Assert.Equal(("MLS_256_XWING_AES256GCM_SHA512_Ed25519", true), suites[83]);
        Assert.Equal(("MLS_256_MLKEM768_AES256GCM_SHA384_Ed25519", true), suites[79]);
        Assert.Equal(("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519", false), suites[1]);
        Assert.Equal([79, 80, 83, 84], suites.Where(s => s.Value.PostQuantum).Select(s => s.Key).Order());
        Assert.Contains(" 83  MLS_256_XWING_AES256GCM_SHA512_Ed25519  (post-quantum)  [new conversations", text.Output);
        Assert.Contains("  1  MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519  [device registration", text.Output);
        Assert.Contains(" 79  MLS_256_MLKEM768_AES256GCM_SHA384_Ed25519  (post-quantum)" + Environment.NewLine, text.Output);
        Assert.Equal([1, 83], JsonDocument.Parse(json.Output).RootElement.EnumerateArray()
            .Where(s => s.GetProperty("use").ValueKind == JsonValueKind.String).Select(s => s.GetProperty("id").GetInt32()));
    }
}
