// GET /backups/{id}: the backup file "Back up now" just wrote, as a download. The file is encrypted (docs/backup.md) and
// sits in the home's web-files folder only until the page lets it go, a newer backup replaces it, or the app stops.
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Parley.Web.Files;

/// <summary>The backup files waiting to be downloaded, each under an unguessable id.</summary>
public sealed class BackupDownloads : IDisposable
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed record Entry(string Folder, string Path, string FileName);

    /// <summary>Offers <paramref name="path"/> (inside <paramref name="folder"/>, which goes with it) for download as
    /// <paramref name="fileName"/>; returns its address.</summary>
    public string Offer(string folder, string path, string fileName)
    {
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _entries[id] = new Entry(folder, path, fileName);
        return "/backups/" + id;
    }

    /// <summary>Deletes the file behind <paramref name="address"/> (from <see cref="Offer"/>); a download under way
    /// keeps reading the file it opened.</summary>
    public void Withdraw(string? address)
    {
        if (address is not null && _entries.TryRemove(address["/backups/".Length..], out var entry))
        {
            Delete(entry.Folder);
        }
    }

    internal void Map(WebApplication app) => app.MapGet("/backups/{id}", (string id) =>
        _entries.TryGetValue(id, out var entry) && File.Exists(entry.Path)
            ? Results.File(new FileStream(entry.Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, FileOptions.Asynchronous),
                "application/octet-stream", entry.FileName)
            : Results.NotFound());

    /// <summary>Deletes every file still waiting (the app stops).</summary>
    public void Dispose()
    {
        foreach (string id in _entries.Keys)
        {
            if (_entries.TryRemove(id, out var entry))
            {
                Delete(entry.Folder);
            }
        }
    }

    private static void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: it stays inside the home, encrypted.
        }
    }
}
