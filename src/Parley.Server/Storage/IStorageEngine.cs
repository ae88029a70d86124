namespace Parley.Server.Storage;

/// <summary>The database behind the stores: SQLite in the data folder (the default) or a shared
/// PostgreSQL (when a connection string is configured). It is opened, and its schema created or
/// migrated, when first resolved, which the server does at start-up.</summary>
public interface IStorageEngine
{
    /// <summary>"sqlite" or "postgres".</summary>
    string Name { get; }

    /// <summary>Whether the database answers a trivial query.</summary>
    Task<bool> IsHealthyAsync(CancellationToken cancellationToken);
}
