using System.Security.Cryptography;

namespace Parley.Server.Accounts;

/// <summary>An account's server-assigned id: 16 random bytes as 32 lowercase hex digits. Every
/// account-owned row is keyed by it, never by the username.</summary>
public readonly record struct AccountId(string Value)
{
    /// <summary>A fresh random id.</summary>
    public static AccountId New() => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));

    public override string ToString() => Value;
}
