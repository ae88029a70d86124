using Parley.Server.Storage.Shared;
using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.KeyPackages;
using Parley.Server.Mailboxes;

namespace Parley.Server.Storage.Postgres;

/// <summary>Registers the PostgreSQL engine (chosen when <c>Parley:Postgres</c> holds a connection string).</summary>
public static class PostgresRegistration
{
    /// <summary>Registers every store, the challenge store and the fan-out recovery sweep over PostgreSQL.</summary>
    public static IServiceCollection AddParleyPostgres(this IServiceCollection services)
    {
        services.AddSingleton<PostgresDatabase>();
        services.AddSingleton<IStorageEngine>(s => s.GetRequiredService<PostgresDatabase>());
        services.AddSingleton<PostgresFanout>();


        services.AddSingleton<IKeyPackageStore, PostgresKeyPackageStore>();
        services.AddSingleton<IGroupStore, PostgresGroupStore>();
        services.AddSingleton<IMailboxStore, PostgresMailboxStore>();
        services.AddSingleton<SqlEngine, PostgresSqlEngine>();
        services.AddSharedSqlStores();
        services.AddSingleton<IChallengeStore, PostgresChallengeStore>();
        services.AddPostgresSafetyStores();
        services.AddSingleton<PostgresFanoutRecovery>();
        services.AddHostedService(s => s.GetRequiredService<PostgresFanoutRecovery>());
        return services;
    }
}
