// RFC 9420 §7.3 and §12.4.3.1: public keys in a ratchet tree must be unique; this compares
// them by content so they can be kept in hash sets.
namespace Parley.Mls.Tree;

/// <summary>Equality of public keys (byte strings) by content.</summary>
internal sealed class PublicKeyComparer : IEqualityComparer<byte[]>
{
    public static readonly PublicKeyComparer Instance = new();

    private PublicKeyComparer() { }

    public bool Equals(byte[]? x, byte[]? y)
        => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var h = new HashCode();
        h.AddBytes(obj);
        return h.ToHashCode();
    }
}
