using Parley.Server.Blocking;
using Parley.Server.Franking;
using Parley.Server.Moderation;
using Parley.Server.Reports;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Registers the SQLite stores of blocking, reports, suspensions, the audit log, the operator's nonces and server secrets.</summary>
public static class SqliteSafetyRegistration
{
    /// <summary>Adds the SQLite safety stores (called from the SQLite branch of the server's registration).</summary>
    public static IServiceCollection AddSqliteSafetyStores(this IServiceCollection services)
    {
        services.AddSingleton<IServerSecrets, SqliteServerSecrets>();
        return services;
    }
}
