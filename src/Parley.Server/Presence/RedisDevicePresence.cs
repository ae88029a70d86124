using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Parley.Server.Devices;
using StackExchange.Redis;

namespace Parley.Server.Presence;

/// <summary>Presence over Redis pub/sub, one channel per device (<c>parley:device:{id}</c>): a node
/// subscribes to the channel of each device connected to it, and publishes to a recipient's channel
/// when it stores mail for a device connected elsewhere; Redis sends it only to the node (if any)
/// subscribed. Messages: <c>m</c> (mail arrived), <c>r</c> (revoked), <c>c {ticks} {id}</c> (connected
/// at that time; an older connection elsewhere closes). Nothing durable travels here: a lost
/// signal only delays a push until the next one, the device's reconnect, or the wake-up every
/// listener gets when the link to Redis comes back.</summary>
public sealed class RedisDevicePresence : IDevicePresence, IDisposable
{
    private const string ChannelPrefix = "parley:device:";
    private static readonly RedisValue Mail = "m";
    private static readonly RedisValue Revocation = "r";

    private readonly ConnectionMultiplexer _redis;
    private readonly ISubscriber _subscriber;
    private readonly ILogger<RedisDevicePresence> _logger;
    private readonly ConcurrentDictionary<Listener, byte> _listeners = new();

    public RedisDevicePresence(IOptions<ParleyServerOptions> options, ILogger<RedisDevicePresence> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        string configuration = options.Value.Redis ?? throw new InvalidOperationException("Parley:Redis holds no Redis configuration.");
        ConfigurationOptions redis = ConfigurationOptions.Parse(configuration);
        // Start (and keep serving) while Redis is away: presence then degrades to pushes on reconnect.
        if (!configuration.Contains("abortConnect", StringComparison.OrdinalIgnoreCase))
        {
            redis.AbortOnConnectFail = false;
        }
        redis.ClientName ??= "parley-server";
        _logger = logger;
        _redis = ConnectionMultiplexer.Connect(redis);
        _redis.ConnectionRestored += OnConnectionRestored;
        _subscriber = _redis.GetSubscriber();
    }

    /// <summary>Whether the link to Redis is up.</summary>
    public bool IsConnected => _redis.IsConnected;

    public IDisposable Listen(DeviceId device, Action<PresenceSignal> onSignal)
    {
        ArgumentNullException.ThrowIfNull(onSignal);
        var listener = new Listener(this, device, onSignal);
        _listeners[listener] = 0;
        _ = listener.StartAsync();
        return listener;
    }

    public void MailArrived(IReadOnlyCollection<DeviceId> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        foreach (DeviceId device in devices)
        {
            Publish(device, Mail);
        }
    }

    public void Revoked(DeviceId device) => Publish(device, Revocation);

    public void Dispose()
    {
        _redis.ConnectionRestored -= OnConnectionRestored;
        _redis.Dispose();
    }

    private static RedisChannel ChannelOf(DeviceId device) => RedisChannel.Literal(ChannelPrefix + device.Value);

    private void Publish(DeviceId device, RedisValue message)
    {
        try
        {
            _subscriber.Publish(ChannelOf(device), message, CommandFlags.FireAndForget);
        }
        catch (RedisException ex)
        {
            _logger.LogWarning(ex, "Could not publish a presence signal");
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription)
        {
            return;
        }
        // Signals published while the link was down are gone: let every local connection look.
        foreach (Listener listener in _listeners.Keys)
        {
            listener.Signal(PresenceSignal.MailArrived);
        }
    }

    /// <summary>One local connection's subscription. Its stamp orders connections of the same device
    /// across nodes: a connection closes when it hears of a newer one.</summary>
    private sealed class Listener : IDisposable
    {
        private readonly RedisDevicePresence _owner;
        private readonly DeviceId _device;
        private readonly Action<PresenceSignal> _onSignal;
        private readonly Action<RedisChannel, RedisValue> _handler;
        private readonly long _ticks = DateTimeOffset.UtcNow.UtcTicks;
        private readonly string _id = Guid.NewGuid().ToString("N");
        private int _disposed;

        public Listener(RedisDevicePresence owner, DeviceId device, Action<PresenceSignal> onSignal)
        {
            _owner = owner;
            _device = device;
            _onSignal = onSignal;
            _handler = (_, message) => Receive(message);
        }

        public async Task StartAsync()
        {
            try
            {
                await _owner._subscriber.SubscribeAsync(ChannelOf(_device), _handler);
                if (Volatile.Read(ref _disposed) != 0)
                {
                    await _owner._subscriber.UnsubscribeAsync(ChannelOf(_device), _handler, CommandFlags.FireAndForget);
                    return;
                }
                _owner.Publish(_device, string.Create(CultureInfo.InvariantCulture, $"c {_ticks} {_id}"));
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                _owner._logger.LogWarning(ex, "Could not subscribe to a device's presence");
            }
            Signal(PresenceSignal.Ready);
        }

        public void Signal(PresenceSignal signal)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return;
            }
            try
            {
                _onSignal(signal);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _owner._logger.LogWarning(ex, "Presence signal {Signal} failed", signal);
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }
            _owner._listeners.TryRemove(this, out _);
            try
            {
                _owner._subscriber.Unsubscribe(ChannelOf(_device), _handler, CommandFlags.FireAndForget);
            }
            catch (RedisException)
            {
                // The link is down; the subscription went with it.
            }
        }

        private void Receive(RedisValue message)
        {
            string text = message.ToString();
            if (text == "m")
            {
                Signal(PresenceSignal.MailArrived);
            }
            else if (text == "r")
            {
                Signal(PresenceSignal.Revoked);
            }
            else if (text.StartsWith("c ", StringComparison.Ordinal) && IsNewer(text))
            {
                Signal(PresenceSignal.Replaced);
            }
        }

        /// <summary>Whether a "c {ticks} {id}" announcement names a connection newer than this one.</summary>
        private bool IsNewer(string announcement)
        {
            string[] parts = announcement.Split(' ');
            if (parts.Length != 3 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks))
            {
                return false;
            }
            return ticks > _ticks || (ticks == _ticks && string.CompareOrdinal(parts[2], _id) > 0);
        }
    }
}
