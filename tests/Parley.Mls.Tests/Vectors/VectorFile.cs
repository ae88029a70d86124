using System.Text.Json;

namespace Parley.Mls.Tests.Vectors;

/// <summary>Loads an official MLS test-vector file copied beside the tests.</summary>
internal static class VectorFile
{
    private static readonly Dictionary<string, JsonElement[]> Cache = new();

    /// <summary>All entries of <c>Vectors/{name}.json</c>.</summary>
    public static JsonElement[] Load(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out var entries))
            {
                string path = Path.Combine(AppContext.BaseDirectory, "Vectors", name + ".json");
                using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
                entries = doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
                Cache[name] = entries;
            }
            return entries;
        }
    }

    /// <summary>One theory case per entry: its index in the file and its cipher suite, if any.</summary>
    public static IEnumerable<object[]> Cases(string name, Func<JsonElement, bool>? include = null)
    {
        var entries = Load(name);
        for (int i = 0; i < entries.Length; i++)
        {
            if (include is null || include(entries[i]))
            {
                ushort suite = entries[i].TryGetProperty("cipher_suite", out var cs) ? cs.GetUInt16() : (ushort)0;
                yield return new object[] { i, suite };
            }
        }
    }

    /// <summary>Decodes a hex string property.</summary>
    public static byte[] Hex(this JsonElement e, string property) => Convert.FromHexString(e.GetProperty(property).GetString()!);

    /// <summary>Decodes a hex string property that may be null.</summary>
    public static byte[]? HexOrNull(this JsonElement e, string property)
        => e.TryGetProperty(property, out var p) && p.ValueKind == JsonValueKind.String ? Convert.FromHexString(p.GetString()!) : null;
}
