using Microsoft.Extensions.Options;
using Parley.Server.Franking;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Server secrets as files in the data folder, readable by the server's user only (0600), beside the
/// database they protect: one node, one folder.</summary>
internal sealed class SqliteServerSecrets(IOptions<ParleyServerOptions> options) : IServerSecrets
{
    public byte[] GetOrCreate(string name, Func<byte[]> create)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(create);
        string directory = Path.GetFullPath(options.Value.DataDirectory);
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, name);
        if (!File.Exists(path))
        {
            byte[] secret = create();
            try
            {
                var file = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }
                // Written to a temporary name and moved into place, so a crash never leaves a short key behind.
                string temporary = path + ".new";
                File.Delete(temporary);
                using (var stream = new FileStream(temporary, file))
                {
                    stream.Write(secret);
                    stream.Flush(flushToDisk: true);
                }
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Created by someone else meanwhile: theirs wins.
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
            }
        }
        return File.ReadAllBytes(path);
    }
}
