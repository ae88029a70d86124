// RFC 9420 §8.4 (pre-shared keys) and §8.6 (resumption PSK).
using System.Security.Cryptography;

namespace Parley.Mls.Group;

/// <summary>Where a group looks up pre-shared keys it does not hold itself: external PSKs by id, and
/// resumption PSKs of other groups (for reinitialization and branching).</summary>
public interface IPskStore
{
    /// <summary>Returns a copy of the external PSK named <paramref name="pskId"/>, or null if unknown.</summary>
    byte[]? GetExternalPsk(ReadOnlySpan<byte> pskId);

    /// <summary>Returns a copy of the resumption PSK of <paramref name="groupId"/> at <paramref name="epoch"/>,
    /// or null if unknown. A group's own earlier epochs are resolved from its state first.</summary>
    byte[]? GetResumptionPsk(ReadOnlySpan<byte> groupId, ulong epoch) => null;
}

/// <summary>An in-memory PSK store; secrets are zeroed on <see cref="Dispose"/>.</summary>
public sealed class PskStore : IPskStore, IDisposable
{
    private readonly Dictionary<string, byte[]> _external = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, ulong), byte[]> _resumption = new();

    /// <summary>Stores (a copy of) the external PSK <paramref name="psk"/> under <paramref name="pskId"/>.</summary>
    public void AddExternal(ReadOnlySpan<byte> pskId, ReadOnlySpan<byte> psk)
    {
        string key = Convert.ToHexString(pskId);
        if (_external.Remove(key, out byte[]? old))
        {
            CryptographicOperations.ZeroMemory(old);
        }
        _external[key] = psk.ToArray();
    }

    /// <summary>Stores (a copy of) the resumption PSK of another group's epoch.</summary>
    public void AddResumption(ReadOnlySpan<byte> groupId, ulong epoch, ReadOnlySpan<byte> psk)
    {
        var key = (Convert.ToHexString(groupId), epoch);
        if (_resumption.Remove(key, out byte[]? old))
        {
            CryptographicOperations.ZeroMemory(old);
        }
        _resumption[key] = psk.ToArray();
    }

    public byte[]? GetExternalPsk(ReadOnlySpan<byte> pskId)
        => _external.TryGetValue(Convert.ToHexString(pskId), out byte[]? psk) ? (byte[])psk.Clone() : null;

    public byte[]? GetResumptionPsk(ReadOnlySpan<byte> groupId, ulong epoch)
        => _resumption.TryGetValue((Convert.ToHexString(groupId), epoch), out byte[]? psk) ? (byte[])psk.Clone() : null;

    public void Dispose()
    {
        foreach (byte[] psk in _external.Values.Concat(_resumption.Values))
        {
            CryptographicOperations.ZeroMemory(psk);
        }
        _external.Clear();
        _resumption.Clear();
    }

    public override string ToString() => $"PskStore({_external.Count} external, {_resumption.Count} resumption)";
}
