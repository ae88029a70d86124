// Content equality for the wire structures of RFC 9420, whose fields are byte strings and vectors.
namespace Parley.Mls.Messages;

/// <summary>Compares byte strings and vectors by content, so that message records compare by value.</summary>
internal static class StructuralEquality
{
    public static bool Bytes(byte[]? a, byte[]? b)
        => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    public static bool Lists<T>(IReadOnlyList<T>? a, IReadOnlyList<T>? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }
        if (a.Count != b.Count)
        {
            return false;
        }
        var comparer = EqualityComparer<T>.Default;
        for (int i = 0; i < a.Count; i++)
        {
            if (!comparer.Equals(a[i], b[i]))
            {
                return false;
            }
        }
        return true;
    }

    public static bool ByteLists(IReadOnlyList<byte[]>? a, IReadOnlyList<byte[]>? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }
        if (a.Count != b.Count)
        {
            return false;
        }
        for (int i = 0; i < a.Count; i++)
        {
            if (!Bytes(a[i], b[i]))
            {
                return false;
            }
        }
        return true;
    }

    public static bool Ciphertexts(Crypto.HpkeCiphertext a, Crypto.HpkeCiphertext b)
        => Bytes(a.KemOutput, b.KemOutput) && Bytes(a.Ciphertext, b.Ciphertext);
}
