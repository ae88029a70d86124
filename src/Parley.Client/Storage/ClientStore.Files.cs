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
    /// it meanwhile (a device waiting for its passphrase); dispose it before <see cref="Open"/>. Throws
    /// <see cref="StoreInUseException"/> when another process holds it.</summary>
    public static IDisposable Reserve(string path) => AcquireLock(System.IO.Path.GetFullPath(path));

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
