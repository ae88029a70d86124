namespace Parley.Server.Accounts;

/// <summary>A username: 3–32 characters of a–z, 0–9, '_', '.', '-'. Input is folded to lower case,
/// so names are unique without regard to case.</summary>
public readonly record struct Username
{
    /// <summary>Shortest allowed username.</summary>
    public const int MinLength = 3;

    /// <summary>Longest allowed username.</summary>
    public const int MaxLength = 32;

    private Username(string value) => Value = value;

    /// <summary>The canonical (lower-case) form.</summary>
    public string Value { get; }

    /// <summary>Parses and canonicalizes <paramref name="text"/>; false when it is not a valid username.</summary>
    public static bool TryParse(string? text, out Username username)
    {
        username = default;
        if (text is null || text.Length is < MinLength or > MaxLength)
        {
            return false;
        }
        string lower = text.ToLowerInvariant();
        foreach (char c in lower)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '.' or '-'))
            {
                return false;
            }
        }
        username = new Username(lower);
        return true;
    }

    public override string ToString() => Value;
}
