// docs/server-protocol.md, "Usernames": Parley's username profile. A strict subset of PRECIS
// UsernameCaseMapped (RFC 8265 §3.3): only ASCII letters, digits, '_', '.' and '-', with ASCII upper case
// folded to lower case. Every other character (a letter of another script, a compatibility form such as
// the Kelvin sign U+212A or fullwidth letters, a space, an invisible character) is refused, never mapped,
// so no name typed with such characters reaches an account named in plain ASCII. Confusability among the
// names that remain is the skeleton of UTS #39 §4 restricted to this alphabet: its confusables data maps
// exactly three of its characters, '0' -> 'O', '1' -> 'l' and 'm' -> "rn"; the skeleton is then folded to
// lower case like the name itself. The client and the server both use this file, so they always agree.
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Parley.Content;

/// <summary>The rules for usernames (and public channel names, which share their syntax): what a name may
/// contain, its canonical form, and the skeleton under which two names look alike.</summary>
public static class UsernameProfile
{
    /// <summary>Shortest allowed name.</summary>
    public const int MinLength = 3;

    /// <summary>Longest allowed name.</summary>
    public const int MaxLength = 32;

    /// <summary>The rule in one sentence, for error messages.</summary>
    public const string Rule = "3 to 32 characters, each an ASCII letter a-z (upper case is folded to lower case), a digit, "
        + "'_', '.' or '-'; no other characters (no accents, letters of other scripts, fullwidth forms, spaces or invisible characters)";

    /// <summary>UTS #39 confusables (confusables.txt) whose source lies in the profile's alphabet, with their
    /// prototypes lower-cased. No other character of the alphabet has an entry there.</summary>
    public static IReadOnlyList<(char Character, string Prototype)> Confusables { get; } =
    [
        ('0', "o"),
        ('1', "l"),
        ('m', "rn"),
    ];

    /// <summary>The canonical form of <paramref name="text"/>: the text with ASCII upper case folded to
    /// lower case. False (and null) when it is not a valid name: a length outside
    /// <see cref="MinLength"/>..<see cref="MaxLength"/>, or any character outside the alphabet.</summary>
    public static bool TryCanonicalize(string? text, [NotNullWhen(true)] out string? canonical)
    {
        canonical = null;
        if (text is null || text.Length is < MinLength or > MaxLength)
        {
            return false;
        }
        // Checked char by char on the UTF-16 text: every allowed character is a single ASCII code unit, so a
        // surrogate, combining mark or format character (ZWJ, ZWNJ, ZWSP, BOM) fails here, as does any
        // character outside ASCII that culture-aware or invariant case mapping would fold to ASCII.
        Span<char> folded = stackalloc char[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is >= 'A' and <= 'Z')
            {
                c = (char)(c + ('a' - 'A'));
            }
            else if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '.' or '-'))
            {
                return false;
            }
            folded[i] = c;
        }
        canonical = new string(folded);
        return true;
    }

    /// <summary>The skeleton of a canonical name: each character with a <see cref="Confusables"/> entry
    /// replaced by its prototype. Two names with the same skeleton look alike ("b0b" and "bob",
    /// "rnallory" and "mallory"), and a server registers at most one name per skeleton.</summary>
    public static string Skeleton(string canonical)
    {
        ArgumentNullException.ThrowIfNull(canonical);
        var skeleton = new StringBuilder(canonical.Length + 8);
        foreach (char c in canonical)
        {
            string? prototype = null;
            foreach (var (character, to) in Confusables)
            {
                prototype ??= character == c ? to : null;
            }
            skeleton.Append(prototype ?? c.ToString());
        }
        return skeleton.ToString();
    }
}
