using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Parley.Server.Devices;
using Parley.Server.Http;
using Parley.Server.Mailboxes;
using Parley.Server.Moderation;
using Parley.Server.Operations;

namespace Parley.Server.Delivery;

/// <summary>Serves the delivery WebSocket (<c>/v1/ws</c>) ahead of the rest of the pipeline, for a device
/// (<c>Authorization: Bearer</c>) or a channel subscriber's queue (<c>Authorization: Queue</c>, docs/channels.md: its own
/// connection, which names no device or account, so a subscriber's posts are pushed without linking the queue to the
/// device's socket). It authenticates, counts
/// the connect against the rate limits and the connection budget, and answers each refusal as the pipeline would, but
/// an open socket then holds no authentication result, claims, DI scope, rate-limit lease or middleware state for the
/// whole of its life (what that saves per idle connection: docs/benchmarks.md, idle connections).</summary>
public sealed class DeviceSocketGate
{
    private readonly IDeviceStore _devices;
    private readonly SuspendedAccounts _suspended;
    private readonly RateLimits.RequestLimiter _limiter;
    private readonly ConnectionBudget _budget;
    private readonly DeviceConnections _connections;
    private readonly IMailboxStore _mailbox;
    private readonly TimeProvider _time;
    private readonly ServerMetrics _metrics;
    private readonly int _maxFrameBytes;
    private readonly ILogger _connectionLogger;
    private readonly ILogger _logger;

    /// <summary>Takes every service from <paramref name="services"/> once: all are singletons, so a connection never
    /// needs a request scope.</summary>
    public DeviceSocketGate(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _devices = services.GetRequiredService<IDeviceStore>();
        _suspended = services.GetRequiredService<SuspendedAccounts>();
        _limiter = services.GetRequiredService<RateLimits.RequestLimiter>();
        _budget = services.GetRequiredService<ConnectionBudget>();
        _connections = services.GetRequiredService<DeviceConnections>();
        _mailbox = services.GetRequiredService<IMailboxStore>();
        _time = services.GetRequiredService<TimeProvider>();
        _metrics = services.GetRequiredService<ServerMetrics>();
        _maxFrameBytes = services.GetRequiredService<IOptions<ParleyServerOptions>>().Value.MaxWebSocketFrameBytes;
        ILoggerFactory loggers = services.GetRequiredService<ILoggerFactory>();
        _connectionLogger = loggers.CreateLogger(typeof(DeviceConnection));
        _logger = loggers.CreateLogger<DeviceSocketGate>();
    }

    /// <summary>Whether routing matched <paramref name="context"/> to the delivery WebSocket's endpoint.</summary>
    public static bool Serves(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<Marker>() is not null;

    /// <summary>Answers the request: a refusal with the same status and problem code as any other endpoint's (401, 403
    /// account_suspended, 429 rate_limited, 400 websocket_required, 503 server_full), or the upgrade and the device's
    /// delivery connection until it closes.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        (DeviceId Device, Accounts.AccountId? Account)? admitted;
        try
        {
            admitted = await AdmitAsync(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away while it was being authenticated; nobody is left to answer.
            return;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !context.Response.HasStarted)
        {
            _logger.LogError(ex, "A delivery WebSocket could not be admitted");
            context.Response.Clear();
            await Problem.Create(StatusCodes.Status500InternalServerError, ProblemCodes.InternalError,
                "The server failed; reconnect later.").ExecuteAsync(context);
            return;
        }
        if (admitted is not var (device, account))
        {
            return;
        }
        // Served in this method rather than a helper of its own: one async state per open socket instead of two.
        try
        {
            // A device that asks for the binary subprotocol gets binary frames both ways; any other speaks JSON.
            bool binary = context.WebSockets.WebSocketRequestedProtocols.Contains(Parley.Content.DeliveryFrame.SubProtocol);
            var connection = new DeviceConnection(device, account, binary);
            using var socket = await context.WebSockets.AcceptWebSocketAsync(binary ? Parley.Content.DeliveryFrame.SubProtocol : null);
            _connections.Add(connection);
            // A suspension that landed between the credential check and Add found no connection to close: close it here.
            // (The refresh publishes the set before it closes connections, so one of the two always sees the other.)
            if (account is { } owner && _suspended.IsSuspended(owner))
            {
                connection.Close(DeviceConnection.CloseReason.Suspended);
            }
            _metrics.ConnectionOpened();
            try
            {
                await connection.RunAsync(socket, _mailbox, _time, _metrics, _maxFrameBytes, _connectionLogger,
                    new DeviceConnection.AckLimit(_limiter, context), context.RequestAborted);
            }
            finally
            {
                _connections.Remove(connection);
                _metrics.ConnectionClosed();
            }
        }
        finally
        {
            _budget.CloseWebSocket();
        }
    }

    /// <summary>Authenticates, counts and budgets the connect in the order the pipeline did (authentication, rate limit,
    /// authorization, endpoint). Returns the device and its account (a subscriber queue and no account), holding one place of
    /// the budget, or null once a refusal is written; only their ids outlive the upgrade, not the credential record.</summary>
    private async Task<(DeviceId Device, Accounts.AccountId? Account)?> AdmitAsync(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization;
        DeviceId? queue = null;
        DeviceAuthenticationHandler.CredentialStatus status;
        DeviceCredentialRecord? record = null;
        const string queuePrefix = Channels.SubscriberQueue.Scheme + " ";
        if (header is not null && header.StartsWith(queuePrefix, StringComparison.OrdinalIgnoreCase))
        {
            // A queue's credential is checked by what it opens: its id is derived from the token, never looked up.
            status = Channels.SubscriberQueue.TryOpen(header.AsSpan(queuePrefix.Length).Trim(), out DeviceId opened)
                ? DeviceAuthenticationHandler.CredentialStatus.Valid
                : DeviceAuthenticationHandler.CredentialStatus.Malformed;
            queue = status == DeviceAuthenticationHandler.CredentialStatus.Valid ? opened : null;
        }
        else
        {
            (status, record) = await DeviceAuthenticationHandler.CheckAsync(header, _devices, _suspended, context.RequestAborted);
        }
        // The header holds the device's (or queue's) token: let it go with the check rather than keep it for the socket's life.
        context.Request.Headers.Remove(HeaderNames.Authorization);

        // An unauthenticated connect counts against its address, as any unauthenticated request does; a queue against the
        // queue and its address, as its requests through the pipeline do.
        using (RateLimitLease lease = _limiter.AttemptAcquire(context, record?.Id ?? queue, record?.AccountId))
        {
            if (!lease.IsAcquired)
            {
                await RateLimits.RejectAsync(context, lease);
                return null;
            }
        }
        switch (status)
        {
            case DeviceAuthenticationHandler.CredentialStatus.Valid:
                break;
            case DeviceAuthenticationHandler.CredentialStatus.Suspended:
                await DeviceAuthenticationHandler.SuspendedProblem().ExecuteAsync(context);
                return null;
            default:
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Problem.Create(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthenticated,
                    "Send 'Authorization: Bearer {deviceId}.{token}' with an active device's credential.").ExecuteAsync(context);
                return null;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Problem.BadRequest(ProblemCodes.WebSocketRequired, "This endpoint only accepts WebSocket upgrades.").ExecuteAsync(context);
            return null;
        }
        // Refused before the upgrade, so the client gets a status it can act on (DeliverySocket backs off on any 5xx).
        if (!_budget.TryOpenWebSocket())
        {
            int seconds = ConnectionBudget.RetryAfterSeconds();
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            // Close the connection after the answer: a client told to come back later should not hold a socket meanwhile.
            context.Response.Headers.Connection = "close";
            await Problem.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.ServerFull,
                $"This server holds as many connections as it can; retry in {seconds} seconds.").ExecuteAsync(context);
            return null;
        }
        return record is not null ? (record.Id, record.AccountId) : (queue!.Value, null);
    }

    /// <summary>Marks the endpoint this gate serves; the endpoint stays mapped so that routing finds it and the OpenAPI
    /// document lists it.</summary>
    public sealed class Marker
    {
        /// <summary>The one instance.</summary>
        public static readonly Marker Instance = new();

        private Marker()
        {
        }
    }
}

/// <summary>Puts the delivery WebSocket's gate in front of the pipeline.</summary>
public static class DeviceSocketGateRegistration
{
    /// <summary>Serves requests routed to <c>/v1/ws</c> in a branch of their own, before authentication and the other
    /// middleware, with <paramref name="webSockets"/> for the upgrade.</summary>
    public static IApplicationBuilder UseDeviceSocketGate(this IApplicationBuilder app, WebSocketOptions webSockets)
    {
        ArgumentNullException.ThrowIfNull(app);
        var gate = new DeviceSocketGate(app.ApplicationServices);
        return app.MapWhen(DeviceSocketGate.Serves, branch =>
        {
            branch.UseWebSockets(webSockets);
            branch.Run(gate.InvokeAsync);
        });
    }
}
