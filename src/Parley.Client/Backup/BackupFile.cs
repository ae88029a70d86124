namespace Parley.Client.Backup;

/// <summary>Writes a file all at once: into a new file beside it that only the owner may read, then renamed over
/// the target, so a reader never sees half a file and a failure leaves the target as it was.</summary>
public static class BackupFile
{
    /// <summary>Runs <paramref name="write"/> on a new owner-only file and moves it to <paramref name="path"/>
    /// (replacing what was there) once it returned and the data is on disk.</summary>
    public static T WriteAtomically<T>(string path, Func<Stream, T> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new ArgumentException("The path names no folder.", nameof(path));
        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            T result;
            using (var stream = new FileStream(temporary, options))
            {
                result = write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
            return result;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
