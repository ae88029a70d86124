namespace Parley.Server.Delivery;

/// <summary>Client-chosen message ids: 1–64 characters of A–Z, a–z, 0–9, '_' and '-'. A random
/// UUID or 16 random bytes in base64url are right; a retry reuses the id.</summary>
public static class MessageIdRules
{
    /// <summary>Longest accepted id.</summary>
    public const int MaxLength = 64;

    /// <summary>Whether <paramref name="id"/> is a well-formed message id.</summary>
    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength)
        {
            return false;
        }
        foreach (char c in id)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-'))
            {
                return false;
            }
        }
        return true;
    }
}
