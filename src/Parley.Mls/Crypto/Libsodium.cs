// RFC 7748 §5 (the X25519 function) on libsodium, the library NSec wraps, called on spans. NSec keeps each key
// and shared secret in its own guarded allocation (sodium_malloc: an mmap, guard pages and mprotect calls per
// object), which costs more than the scalar multiplication itself; HPKE's keys here are short-lived stack
// buffers that Parley wipes itself, so the DHKEM and X-Wing code calls the primitive directly.
using System.Runtime.InteropServices;

namespace Parley.Mls.Crypto;

/// <summary>The few libsodium functions Parley calls without NSec's key objects. The native library is the one
/// the NSec package ships and loads.</summary>
internal static class Libsodium
{
    private const string Library = "libsodium";

    /// <summary>crypto_scalarmult_curve25519_BYTES and _SCALARBYTES.</summary>
    public const int X25519Size = 32;

    static Libsodium()
    {
        // Picks the fastest implementations for this CPU; idempotent and thread-safe (1 when already done).
        if (sodium_init() < 0)
        {
            throw new InvalidOperationException("libsodium could not be initialized.");
        }
    }

    /// <summary>X25519(<paramref name="scalar"/>, <paramref name="point"/>) into <paramref name="output"/>; false
    /// when libsodium refuses the point: a small-order point, or an all-zero result (RFC 9180 §7.1.4).</summary>
    public static bool X25519(ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> point, Span<byte> output)
    {
        if (scalar.Length != X25519Size || point.Length != X25519Size || output.Length != X25519Size)
        {
            throw new ArgumentException("X25519 scalars, points and outputs are 32 bytes.");
        }
        return crypto_scalarmult_curve25519(ref MemoryMarshal.GetReference(output), in MemoryMarshal.GetReference(scalar),
            in MemoryMarshal.GetReference(point)) == 0;
    }

    /// <summary>X25519(<paramref name="scalar"/>, 9): the public key of a private key.</summary>
    public static void X25519Base(ReadOnlySpan<byte> scalar, Span<byte> output)
    {
        if (scalar.Length != X25519Size || output.Length != X25519Size)
        {
            throw new ArgumentException("X25519 scalars and points are 32 bytes.");
        }
        // Fails only for a scalar that clamps to zero, which clamping rules out.
        if (crypto_scalarmult_curve25519_base(ref MemoryMarshal.GetReference(output), in MemoryMarshal.GetReference(scalar)) != 0)
        {
            throw new InvalidOperationException("libsodium refused an X25519 base point multiplication.");
        }
    }

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static extern int sodium_init();

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static extern int crypto_scalarmult_curve25519(ref byte q, in byte n, in byte p);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static extern int crypto_scalarmult_curve25519_base(ref byte q, in byte n);
}
