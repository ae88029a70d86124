using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Devices;
using Parley.Server.Moderation;

namespace Parley.Server.Storage.Shared;

/// <summary>Registers the stores written once for every engine, over the <see cref="SqlEngine"/> the engine's own
/// registration adds.</summary>
internal static class SqlStoreRegistration
{
    /// <summary>Adds the shared stores (called from each engine's registration after its <see cref="SqlEngine"/>).</summary>
    public static IServiceCollection AddSharedSqlStores(this IServiceCollection services)
    {
        services.AddSingleton<IAccountStore, SqlAccountStore>();
        services.AddSingleton<IDeviceStore, SqlDeviceStore>();
        services.AddSingleton<IBlobStore, SqlBlobStore>();
        services.AddSingleton<Blocking.IBlockStore, SqlBlockStore>();
        services.AddSingleton<Reports.IReportStore, SqlReportStore>();
        services.AddSingleton<PublicChannels.IPublicChannelStore, SqlPublicChannelStore>();
        services.AddSingleton<Channels.IChannelStore, SqlChannelStore>();
        services.AddSingleton<ISuspensionStore, SqlSuspensionStore>();
        services.AddSingleton<IAuditLog, SqlAuditLog>();
        services.AddSingleton<IOperatorNonceStore, SqlOperatorNonceStore>();
        return services;
    }
}
