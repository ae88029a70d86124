// Who is on the other end of a Unix socket: Linux's SO_PEERCRED (struct ucred: pid, uid, gid) and macOS's
// LOCAL_PEERCRED (struct xucred: version, uid, ...), read through Socket.GetRawSocketOption; the process's own
// effective user id from geteuid(2).
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Parley.Client.Local;

/// <summary>The user ids of a Unix socket's peer and of this process.</summary>
internal static class PeerCredentials
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;
    private const int SolLocal = 0;
    private const int LocalPeerCred = 1;

    /// <summary>True where the peer's user id can be read (Linux and macOS).</summary>
    public static bool Supported => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    /// <summary>The effective user id of this process.</summary>
    public static uint OwnUserId => geteuid();

    /// <summary>The user id of the process at the other end of <paramref name="socket"/>, or null when the system
    /// does not say.</summary>
    public static uint? PeerUserId(Socket socket)
    {
        Span<byte> value = stackalloc byte[76];
        try
        {
            if (OperatingSystem.IsLinux())
            {
                int length = socket.GetRawSocketOption(SolSocket, SoPeerCred, value[..12]);
                return length == 12 ? MemoryMarshal.Read<uint>(value[4..]) : null;
            }
            if (OperatingSystem.IsMacOS())
            {
                int length = socket.GetRawSocketOption(SolLocal, LocalPeerCred, value);
                return length >= 8 ? MemoryMarshal.Read<uint>(value[4..]) : null;
            }
        }
        catch (SocketException)
        {
        }
        return null;
    }

    // DllImport rather than LibraryImport: the generated stub needs unsafe code, which this project does not allow.
    [DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();
}
