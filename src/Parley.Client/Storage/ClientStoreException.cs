// The errors a local store reports: each names what failed and what to do, never a secret.
namespace Parley.Client.Storage;

/// <summary>Base of every error the encrypted local store reports.</summary>
public class ClientStoreException : Exception
{
    public ClientStoreException(string message) : base(message) { }

    public ClientStoreException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The passphrase does not unlock the store (or the key header was altered).</summary>
public sealed class WrongPassphraseException : ClientStoreException
{
    public WrongPassphraseException()
        : base("The passphrase does not unlock this Parley store; check it (or PARLEY_PASSPHRASE) and try again.") { }
}

/// <summary>An encrypted value failed authentication: the store file was modified, damaged, or a value
/// was moved to another row, column or table.</summary>
public sealed class StoreIntegrityException : ClientStoreException
{
    public StoreIntegrityException(string table, string column)
        : base($"An encrypted value in {table}.{column} failed authentication; the store file was modified or damaged.")
    {
        Table = table;
        Column = column;
    }

    /// <summary>The table of the value that failed.</summary>
    public string Table { get; }

    /// <summary>The column of the value that failed.</summary>
    public string Column { get; }
}

/// <summary>Another process (or another open <see cref="ClientStore"/>) already has the store open.</summary>
public sealed class StoreInUseException : ClientStoreException
{
    public StoreInUseException(string path, Exception inner)
        : base($"The Parley store '{path}' is open in another process; close it there first.", inner) { }
}

/// <summary>The file is not a Parley store, or was written by a newer version of Parley.</summary>
public sealed class StoreFormatException : ClientStoreException
{
    public StoreFormatException(string message) : base(message) { }
}
