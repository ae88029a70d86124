using System.Collections.Frozen;
using Parley.Server.Accounts;
using Parley.Server.Delivery;
using Parley.Server.Devices;

namespace Parley.Server.Moderation;

/// <summary>This node's copy of the suspended accounts, checked on every authenticated request without a
/// database read. It is loaded before the server takes requests, reloaded right after this node suspends or
/// restores an account, and every <see cref="RefreshInterval"/> to pick up other nodes' changes; whenever an
/// account newly appears, its devices' WebSockets on this node are closed with 4003.</summary>
public sealed class SuspendedAccounts(ISuspensionStore store, IDeviceStore devices, DeviceConnections connections,
    TimeProvider time, ILogger<SuspendedAccounts> logger) : BackgroundService
{
    /// <summary>How long another node's suspension may take to reach this node.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile FrozenSet<string> _suspended = FrozenSet<string>.Empty;

    /// <summary>Whether <paramref name="account"/> is suspended (as of the last refresh).</summary>
    public bool IsSuspended(AccountId account) => _suspended.Contains(account.Value);

    /// <summary>Reloads the set from the store and closes the connections of newly suspended accounts.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            IReadOnlyList<AccountId> now = await store.ListAsync(cancellationToken);
            FrozenSet<string> before = _suspended;
            _suspended = now.Select(a => a.Value).ToFrozenSet(StringComparer.Ordinal);
            foreach (AccountId account in now.Where(a => !before.Contains(a.Value)))
            {
                foreach (Device device in await devices.ListAsync(account, cancellationToken))
                {
                    connections.Close(device.Id, DeviceConnection.CloseReason.Suspended);
                }
            }
        }
        finally
        {
            _refreshing.Release();
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the first request: a restarted server must not forget a suspension even for a moment.
        await RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Refreshing suspended accounts failed");
            }
        }
    }

    public override void Dispose()
    {
        _refreshing.Dispose();
        base.Dispose();
    }
}
