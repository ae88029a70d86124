// The check codes of MlsProtocolException (MlsError) are a contract: each names the RFC 9420 section it enforces, and
// its number sits in the hundreds of that section (6xx framing, 7xx the tree, ..., 10xx key packages).
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace Parley.Mls.Tests;

public sealed partial class MlsErrorTests
{
    public static TheoryData<MlsError> Codes => new(Enum.GetValues<MlsError>());

    [Theory]
    [MemberData(nameof(Codes))]
    public void Each_code_names_its_rfc_section_and_is_numbered_in_its_hundreds(MlsError code)
    {
        var docs = XDocument.Load(Path.Combine(AppContext.BaseDirectory, "Parley.Mls.xml"));
        string summary = docs.Descendants("member")
            .Single(m => (string?)m.Attribute("name") == $"F:Parley.Mls.MlsError.{code}")
            .Element("summary")!.Value.Trim();

        var section = Section().Match(summary);
        Assert.True(section.Success && section.Index == 0, $"{code}: the summary must begin with its section: {summary}");
        Assert.Equal(int.Parse(section.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), (int)code / 100);
    }

    [Fact]
    public void No_two_codes_share_a_number()
    {
        var values = Enum.GetValues<MlsError>().Select(c => (int)c).ToList();
        Assert.Equal(values.Count, values.Distinct().Count());
    }

    [GeneratedRegex(@"§(\d+)(\.\d+)*")]
    private static partial Regex Section();
}
