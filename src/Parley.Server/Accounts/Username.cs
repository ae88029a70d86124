using Parley.Content;

namespace Parley.Server.Accounts;

/// <summary>A username under Parley's username profile (<see cref="UsernameProfile"/>): 3–32 characters of
/// a–z, 0–9, '_', '.', '-'. ASCII upper case is folded to lower case, so names are unique without regard to
/// case; any other character is refused, never mapped.</summary>
public readonly record struct Username
{
    /// <summary>Shortest allowed username.</summary>
    public const int MinLength = UsernameProfile.MinLength;

    /// <summary>Longest allowed username.</summary>
    public const int MaxLength = UsernameProfile.MaxLength;

    private Username(string value) => Value = value;

    /// <summary>The canonical (lower-case) form.</summary>
    public string Value { get; }

    /// <summary>The confusable skeleton (<see cref="UsernameProfile.Skeleton"/>): a new account's must differ
    /// from every existing account's.</summary>
    public string Skeleton => UsernameProfile.Skeleton(Value);

    /// <summary>Parses and canonicalizes <paramref name="text"/>; false when it is not a valid username.</summary>
    public static bool TryParse(string? text, out Username username)
    {
        username = UsernameProfile.TryCanonicalize(text, out string? canonical) ? new Username(canonical) : default;
        return canonical is not null;
    }

    /// <summary>The SQL expression (SQLite and PostgreSQL alike) for the skeleton of the canonical username in
    /// <paramref name="column"/>, built from <see cref="UsernameProfile.Confusables"/> so that the migrations that
    /// fill in the skeletons of existing accounts compute exactly <see cref="Skeleton"/>. The nesting order does
    /// not matter: no prototype contains a character that has one.</summary>
    internal static string SkeletonSql(string column)
    {
        string sql = column;
        foreach (var (character, prototype) in UsernameProfile.Confusables)
        {
            sql = $"replace({sql}, '{character}', '{prototype}')";
        }
        return sql;
    }

    public override string ToString() => Value;
}
