using Microsoft.Extensions.Options;
using Parley.Server.Franking;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Server secrets as files readable by the server's user only (0600) in a folder of their own (0700), apart from
/// the data folder whose contents they protect (<see cref="ParleyServerOptions.SecretsDirectory"/>). A secret an older
/// server kept inside the data folder is moved out at first use.</summary>
internal sealed class SqliteServerSecrets(IOptions<ParleyServerOptions> options, ILogger<SqliteServerSecrets> logger) : IServerSecrets
{
    public byte[] GetOrCreate(string name, Func<byte[]> create)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(create);
        string directory = DataFolder.Create(options.Value.SecretsDirectoryOrDefault());
        string path = Path.Combine(directory, name);
        string inDataFolder = Path.Combine(Path.GetFullPath(options.Value.DataDirectory), name);
        if (!File.Exists(path) && File.Exists(inDataFolder))
        {
            File.Move(inDataFolder, path);
            logger.LogWarning("Moved {Secret} out of the data folder to {Path}; copies of the data folder made before now still hold it.",
                name, path);
        }
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
