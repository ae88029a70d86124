using Parley.Server.Blocking;
using Parley.Server.Franking;
using Parley.Server.Moderation;
using Parley.Server.Reports;

namespace Parley.Server.Storage.Postgres;

/// <summary>Registers the PostgreSQL stores of blocking, reports, suspensions, the audit log, the operator's nonces and server secrets.</summary>
public static class PostgresSafetyRegistration
{
    /// <summary>Adds the PostgreSQL safety stores (called from <see cref="PostgresRegistration"/>).</summary>
    public static IServiceCollection AddPostgresSafetyStores(this IServiceCollection services)
    {
        services.AddSingleton<IServerSecrets, PostgresServerSecrets>();
        return services;
    }
}
