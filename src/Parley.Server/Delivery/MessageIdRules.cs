namespace Parley.Server.Delivery;

/// <summary>Client-chosen message ids: 1–64 characters of A–Z, a–z, 0–9, '_' and '-'. A random
/// UUID or 16 random bytes in base64url are right; a retry reuses the id.</summary>
public static class MessageIdRules
{
    /// <summary>Longest accepted id.</summary>
    public const int MaxLength = Parley.Content.DeliveryFrame.MaxIdLength;

    /// <summary>Whether <paramref name="id"/> is a well-formed message id.</summary>
    public static bool IsValid(string? id) => id is not null && Parley.Content.DeliveryFrame.IsValidId(id);
}
