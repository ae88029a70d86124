using Microsoft.Extensions.Options;

namespace Parley.Server.Storage;

/// <summary>The server's data folder is for the server's user alone (docs/privacy.md, "Files"): created 0700, the
/// database created 0600 (SQLite gives its WAL and shared-memory files the database's mode), and a warning at start when
/// an existing folder or file lets anyone else in.</summary>
public static class DataFolder
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OthersAccess = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates <paramref name="path"/> (and its missing parents) readable by this user only, if it does not
    /// exist; returns its full path. An existing folder keeps its mode (see <see cref="Exposed"/>).</summary>
    public static string Create(string path)
    {
        string full = Path.GetFullPath(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(full);
        }
        else
        {
            Directory.CreateDirectory(full, PrivateDirectory);
        }
        return full;
    }

    /// <summary>Creates the empty file <paramref name="path"/> readable by this user only, unless it exists.</summary>
    public static void CreatePrivateFile(string path)
    {
        if (OperatingSystem.IsWindows() || File.Exists(path))
        {
            return;
        }
        try
        {
            using var _ = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = PrivateFile,
            });
        }
        catch (IOException) when (File.Exists(path))
        {
            // Created by someone else meanwhile; its mode is checked at start.
        }
    }

    /// <summary>The folder itself and the entries directly in it that the group or others may use.</summary>
    public static IReadOnlyList<string> Exposed(string folder)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(folder))
        {
            return [];
        }
        var exposed = new List<string>();
        if ((File.GetUnixFileMode(folder) & OthersAccess) != 0)
        {
            exposed.Add(folder);
        }
        foreach (string entry in Directory.EnumerateFileSystemEntries(folder))
        {
            if ((File.GetUnixFileMode(entry) & OthersAccess) != 0)
            {
                exposed.Add(entry);
            }
        }
        return exposed;
    }
}

/// <summary>Warns at start when the data folder or a file in it is open to other users.</summary>
internal sealed class DataFolderCheck(IOptions<ParleyServerOptions> options, ILogger<DataFolderCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> exposed = DataFolder.Exposed(Path.GetFullPath(options.Value.DataDirectory));
        if (exposed.Count > 0)
        {
            logger.LogWarning(
                "The data folder is readable by other users of this machine: {Paths}. Run 'chmod 700' on the folder and 'chmod 600' on its files.",
                string.Join(", ", exposed));
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
