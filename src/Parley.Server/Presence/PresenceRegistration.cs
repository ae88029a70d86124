namespace Parley.Server.Presence;

/// <summary>Registers presence: Redis pub/sub when <c>Parley:Redis</c> is configured, else in-process only.</summary>
public static class PresenceRegistration
{
    /// <summary>Registers the <see cref="IDevicePresence"/> the configuration asks for.</summary>
    public static IServiceCollection AddParleyPresence(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.IsNullOrWhiteSpace(configuration[$"{ParleyServerOptions.Section}:{nameof(ParleyServerOptions.Redis)}"]))
        {
            services.AddSingleton<IDevicePresence, LocalDevicePresence>();
        }
        else
        {
            services.AddSingleton<RedisDevicePresence>();
            services.AddSingleton<IDevicePresence>(s => s.GetRequiredService<RedisDevicePresence>());
        }
        return services;
    }
}
