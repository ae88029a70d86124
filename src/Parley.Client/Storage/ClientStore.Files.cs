// The files of a client store on disk: the lock that keeps a home to one process at a time, and the folders
// and files created readable by their owner only.
using System.Runtime.InteropServices;

namespace Parley.Client.Storage;

public sealed partial class ClientStore
{
    /// <summary>True when a store at <paramref name="path"/> is open (its lock is held).</summary>
    public static bool IsInUse(string path)
    {
        try
        {
            using var probe = new FileStream(System.IO.Path.GetFullPath(path) + ".lock", FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Takes the lock of the store at <paramref name="path"/> without opening it, so that no other process opens
    /// it meanwhile (a device waiting for its passphrase). Hand it to <see cref="Open(string, string, ClientStoreOptions?, StoreReservation?)"/>,
    /// which keeps it when the store opens, so the home is never free in between. Throws
    /// <see cref="StoreInUseException"/> when another process holds it.</summary>
    public static StoreReservation Reserve(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        return new StoreReservation(path, AcquireLock(path));
    }

    // The held lock of a reservation for the store at path, or a newly taken one.
    private static FileStream LockFor(string path, StoreReservation? reservation)
    {
        if (reservation is null)
        {
            return AcquireLock(path);
        }
        if (!string.Equals(reservation.Path, path, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The reservation holds '{reservation.Path}', not '{path}'.", nameof(reservation));
        }
        return reservation.Take();
    }

    private static FileStream AcquireLock(string path)
    {
        try
        {
            return new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new StoreInUseException(path, e);
        }
    }

    private static void CreatePrivateDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    // SQLite gives its -wal and -shm files the database file's permissions.
    private static void CreatePrivateFile(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var _ = new FileStream(path, options);
    }
}

/// <summary>A store's lock, held while the store is not open (<see cref="ClientStore.Reserve"/>). Opening the store
/// with it moves the lock into the store; disposing it lets the store go.</summary>
public sealed class StoreReservation : IDisposable
{
    private FileStream? _lock;

    internal StoreReservation(string path, FileStream lockFile)
    {
        Path = path;
        _lock = lockFile;
    }

    /// <summary>The store file this reservation holds.</summary>
    public string Path { get; }

    /// <summary>True until the store took the lock or the reservation was disposed.</summary>
    public bool IsHeld => Volatile.Read(ref _lock) is not null;

    // The lock, now the caller's; a reservation gives it away once.
    internal FileStream Take()
        => Interlocked.Exchange(ref _lock, null) ?? throw new ObjectDisposedException(nameof(StoreReservation), "The reservation was used or released.");

    // The lock back after an open that failed, so the home stays held.
    internal void Return(FileStream lockFile)
    {
        if (Interlocked.CompareExchange(ref _lock, lockFile, null) is not null)
        {
            lockFile.Dispose();
        }
    }

    /// <summary>Releases the lock, unless the store took it.</summary>
    public void Dispose() => Interlocked.Exchange(ref _lock, null)?.Dispose();
}
