namespace Parley.Server.Franking;

/// <summary>Where the server keeps secrets of its own that every node must share: a file in the data folder
/// (SQLite) or a row in the database (PostgreSQL).</summary>
public interface IServerSecrets
{
    /// <summary>The secret stored under <paramref name="name"/>, created from <paramref name="create"/> the first
    /// time; when several nodes race, every one gets the value that was stored first.</summary>
    byte[] GetOrCreate(string name, Func<byte[]> create);
}
