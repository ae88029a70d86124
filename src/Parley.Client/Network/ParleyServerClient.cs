// Parley server protocol v1 (docs/server-protocol.md): the device's side of every HTTP endpoint.
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Parley.Client.Network;

/// <summary>Talks to one Parley server as one device (or anonymously, before the device has a credential).
/// Every refusal becomes a <see cref="ServerProblemException"/> carrying the problem's stable code; an
/// unreachable server becomes a <see cref="ServerUnavailableException"/>. Thread-safe.</summary>
public sealed partial class ParleyServerClient : IDisposable
{
    private const int MaxRateLimitRetries = 3;

    // A 429 is waited out in place only when the server asks for a short pause: callers hold the device lock, and a
    // minute-long wait would hold back every delivery too. A longer one is the caller's to handle (the outbox keeps
    // the message and sends it on the next sync or housekeeping tick).
    private static readonly TimeSpan MaxInlineRetryWait = TimeSpan.FromSeconds(5);
    private readonly HttpClient _http;
    private readonly string? _credential;
    private readonly string _scheme;

    /// <summary>A client of the server at <paramref name="server"/>, authenticated with
    /// <paramref name="credential"/> (<c>{deviceId}.{token}</c>) when given.</summary>
    public ParleyServerClient(Uri server, string? credential = null, HttpMessageHandler? handler = null)
        : this(server, credential, "Bearer", handler)
    {
    }

    private ParleyServerClient(Uri server, string? credential, string scheme, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(server);
        Server = server;
        _credential = credential;
        _scheme = scheme;
        _handler = handler;
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = server;
        _http.Timeout = Timeout.InfiniteTimeSpan;
        if (credential is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(scheme, credential);
        }
    }

    /// <summary>A client of the server at <paramref name="server"/> acting as the anonymous subscriber queue that
    /// <paramref name="queueToken"/> (32 random bytes) opens (docs/channels.md, "Subscriber queues"): it reads and acknowledges
    /// the queue's mailbox, sends the pseudonymous leaf's handshake messages, joins channels and counts views, without naming
    /// the device.</summary>
    public static ParleyServerClient ForQueue(Uri server, ReadOnlySpan<byte> queueToken, HttpMessageHandler? handler = null)
        => new(server, System.Buffers.Text.Base64Url.EncodeToString(queueToken), "Queue", handler);

    /// <summary>The server's base address.</summary>
    public Uri Server { get; }

    /// <summary>The HTTP client, authenticated as the device (for the blob endpoints).</summary>
    internal HttpClient Http => _http;

    // ---- Accounts and devices ------------------------------------------------------------------

    /// <summary>POST /v1/challenges: a fresh challenge for an account signature.</summary>
    public async Task<byte[]> GetChallengeAsync(CancellationToken cancellationToken = default)
        => (await SendAsync(HttpMethod.Post, "v1/challenges", null, ClientJsonContext.Default.ChallengeResponse, cancellationToken)).Challenge;

    /// <summary>POST /v1/accounts: registers an account with its first device.</summary>
    public Task<RegisterResponse> RegisterAsync(RegisterRequest request, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, "v1/accounts", JsonContent.Create(request, ClientJsonContext.Default.RegisterRequest),
            ClientJsonContext.Default.RegisterResponse, cancellationToken);

    /// <summary>GET /v1/accounts/{username}: the account's identity key and active devices.</summary>
    public Task<DirectoryEntry> GetAccountAsync(string username, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Get, $"v1/accounts/{Uri.EscapeDataString(username)}", null, ClientJsonContext.Default.DirectoryEntry, cancellationToken);

    /// <summary>POST /v1/accounts/{username}/devices: adds a device (sent by the new device, anonymously).</summary>
    public Task<AddDeviceResponse> AddDeviceAsync(string username, AddDeviceRequest request, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/accounts/{Uri.EscapeDataString(username)}/devices",
            JsonContent.Create(request, ClientJsonContext.Default.AddDeviceRequest), ClientJsonContext.Default.AddDeviceResponse, cancellationToken);

    /// <summary>GET /v1/devices: the caller's account's devices, revoked ones included.</summary>
    public async Task<IReadOnlyList<DeviceListEntry>> ListDevicesAsync(CancellationToken cancellationToken = default)
        => (await SendAsync(HttpMethod.Get, "v1/devices", null, ClientJsonContext.Default.DeviceListResponse, cancellationToken)).Devices;

    /// <summary>POST /v1/devices/{deviceId}/revoke.</summary>
    public Task RevokeDeviceAsync(string deviceId, RevokeDeviceRequest request, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/devices/{Uri.EscapeDataString(deviceId)}/revoke",
            JsonContent.Create(request, ClientJsonContext.Default.RevokeDeviceRequest), cancellationToken);

    // ---- Key packages --------------------------------------------------------------------------

    /// <summary>POST /v1/keypackages.</summary>
    public Task<KeyPackageCountResponse> UploadKeyPackagesAsync(UploadKeyPackagesRequest request, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, "v1/keypackages", JsonContent.Create(request, ClientJsonContext.Default.UploadKeyPackagesRequest),
            ClientJsonContext.Default.KeyPackageCountResponse, cancellationToken);

    /// <summary>GET /v1/keypackages/count?suite=: this device's packages left in one cipher suite.</summary>
    public Task<KeyPackageCountResponse> CountKeyPackagesAsync(ushort cipherSuite = 1, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Get, $"v1/keypackages/count?suite={cipherSuite}", null, ClientJsonContext.Default.KeyPackageCountResponse,
            cancellationToken);

    /// <summary>POST /v1/accounts/{username}/keypackages/claim?suite=: one key package of the cipher suite per active device
    /// of the user that has one.</summary>
    public Task<ClaimKeyPackagesResponse> ClaimKeyPackagesAsync(string username, ushort cipherSuite = 1, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/accounts/{Uri.EscapeDataString(username)}/keypackages/claim?suite={cipherSuite}", null,
            ClientJsonContext.Default.ClaimKeyPackagesResponse, cancellationToken);

    // ---- Groups and delivery -------------------------------------------------------------------

    /// <summary>POST /v1/groups: registers a group whose creator is leaf 0 at epoch 0, with its epoch 0 GroupInfo.</summary>
    public Task<GroupResponse> CreateGroupAsync(byte[] groupId, ushort cipherSuite, byte[] groupInfo, CancellationToken cancellationToken = default,
        byte[]? deliveryKey = null)
        => SendAsync(HttpMethod.Post, "v1/groups", JsonContent.Create(new CreateGroupRequest(GroupIds.ToUrl(groupId), cipherSuite, groupInfo, deliveryKey),
            ClientJsonContext.Default.CreateGroupRequest), ClientJsonContext.Default.GroupResponse, cancellationToken);

    /// <summary>GET /v1/groups/{groupId}: the roster as the server keeps it.</summary>
    public Task<GroupResponse> GetGroupAsync(byte[] groupId, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Get, $"v1/groups/{GroupIds.ToUrl(groupId)}", null, ClientJsonContext.Default.GroupResponse, cancellationToken);

    /// <summary>POST /v1/groups/{groupId}/messages: returns once every recipient's copy is on disk. Safe to
    /// repeat with the same id.</summary>
    public Task<SendResponse> SendMessageAsync(byte[] groupId, SendRequest request, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/groups/{GroupIds.ToUrl(groupId)}/messages",
            JsonContent.Create(request, ClientJsonContext.Default.SendRequest), ClientJsonContext.Default.SendResponse, cancellationToken);

    /// <summary>GET /v1/mailbox: up to <paramref name="limit"/> waiting messages after sequence <paramref name="after"/>, oldest first.</summary>
    public async Task<IReadOnlyList<MailboxEntry>> GetMailboxAsync(long after = 0, int limit = 100, CancellationToken cancellationToken = default)
        => (await SendAsync(HttpMethod.Get, $"v1/mailbox?after={after}&limit={limit}", null, ClientJsonContext.Default.MailboxResponse,
            cancellationToken)).Messages;

    /// <summary>DELETE /v1/mailbox/{id}: acknowledges a message; true when it was still there.</summary>
    public async Task<bool> AcknowledgeAsync(string id, CancellationToken cancellationToken = default)
    {
        try
        {
            await SendAsync(HttpMethod.Delete, $"v1/mailbox/{Uri.EscapeDataString(id)}", null, cancellationToken);
            return true;
        }
        catch (ServerProblemException e) when (e.Code == "message_not_found")
        {
            return false;
        }
    }

    /// <summary>Opens the delivery WebSocket (GET /v1/ws) as this device, or as the subscriber queue of a client made by
    /// <see cref="ForQueue"/> (a connection of its own, with the queue's credential only), asking for binary frames
    /// (<see cref="Parley.Content.DeliveryFrame.SubProtocol"/>); a server that does not offer them leaves the socket's
    /// <see cref="WebSocket.SubProtocol"/> null, and the connection speaks JSON.</summary>
    public async Task<ClientWebSocket> ConnectWebSocketAsync(CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(Parley.Content.DeliveryFrame.SubProtocol);
        if (_credential is not null)
        {
            socket.Options.SetRequestHeader("Authorization", _scheme + " " + _credential);
        }
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        socket.Options.CollectHttpResponseDetails = true;
        var builder = new UriBuilder(new Uri(Server, "v1/ws"));
        builder.Scheme = builder.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        try
        {
            await socket.ConnectAsync(builder.Uri, cancellationToken);
            return socket;
        }
        catch (WebSocketException e)
        {
            var status = socket.HttpStatusCode;
            var headers = socket.HttpResponseHeaders;
            socket.Dispose();
            if (status is HttpStatusCode.Forbidden)
            {
                // The credential is valid (else 401): the account is suspended (the upgrade carries no problem body to read).
                throw new ServerProblemException((int)status, "account_suspended", "The server's operator suspended this account.");
            }
            if (status is HttpStatusCode.Unauthorized)
            {
                throw new ServerProblemException((int)status, "unauthenticated", "The server no longer accepts this device's credential.");
            }
            if (status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests)
            {
                // A full node (server_full) or a rate limit: the server says when to come back.
                throw new ServerProblemException((int)status, status is HttpStatusCode.TooManyRequests ? "rate_limited" : "server_full",
                    $"The server at {Server} cannot take the delivery connection now.", retryAfter: RetryAfterOf(headers));
            }
            throw new ServerUnavailableException($"Could not open the delivery connection to {Server}: {e.Message}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // ---- Plumbing ------------------------------------------------------------------------------

    // Retry-After in seconds, from the headers of a refused WebSocket upgrade.
    private static TimeSpan? RetryAfterOf(IReadOnlyDictionary<string, IEnumerable<string>>? headers)
    {
        if (headers is null)
        {
            return null;
        }
        foreach (var (name, values) in headers)
        {
            if (string.Equals(name, "Retry-After", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds))
            {
                return TimeSpan.FromSeconds(seconds);
            }
        }
        return null;
    }

    /// <summary>Sends a request built by <paramref name="build"/> (called again on a rate-limit retry) and
    /// returns the response when it is a success; otherwise throws the server's problem.</summary>
    internal async Task<HttpResponseMessage> SendRawAsync(Func<HttpRequestMessage> build, CancellationToken cancellationToken,
        HttpClient? via = null)
    {
        for (int attempt = 0; ; attempt++)
        {
            HttpResponseMessage response;
            using (var request = build())
            {
                try
                {
                    response = await (via ?? _http).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                }
                catch (HttpRequestException e)
                {
                    throw new ServerUnavailableException($"Cannot reach the Parley server at {Server}: {e.Message}", e);
                }
            }
            if (response.IsSuccessStatusCode)
            {
                return response;
            }
            using (response)
            {
                var problem = await ReadProblemAsync(response, cancellationToken);
                TimeSpan wait = problem.RetryAfter ?? TimeSpan.FromSeconds(1);
                if (problem.Code == "rate_limited" && attempt < MaxRateLimitRetries && wait <= MaxInlineRetryWait)
                {
                    await Task.Delay(wait, cancellationToken);
                    continue;
                }
                throw problem;
            }
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> responseType,
        CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(method, path, content, cancellationToken);
        try
        {
            return await response.Content.ReadFromJsonAsync(responseType, cancellationToken)
                   ?? throw new ServerUnavailableException($"The server at {Server} sent an empty answer to {method} /{path}.");
        }
        catch (JsonException e)
        {
            throw new ServerUnavailableException($"The server at {Server} sent an answer to {method} /{path} that is not valid JSON.", e);
        }
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(method, path, content, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendCoreAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        // Buffer the body once so a rate-limited request can be sent again.
        byte[]? body = content is null ? null : await content.ReadAsByteArrayAsync(cancellationToken);
        MediaTypeHeaderValue? type = content?.Headers.ContentType;
        content?.Dispose();
        return await SendRawAsync(() =>
        {
            var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = type;
            }
            return request;
        }, cancellationToken);
    }

    internal static async Task<ServerProblemException> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        int status = (int)response.StatusCode;
        TimeSpan? retryAfter = response.Headers.RetryAfter?.Delta;
        ProblemBody? problem = null;
        try
        {
            string text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (text.Length > 0)
            {
                problem = JsonSerializer.Deserialize(text, ClientJsonContext.Default.ProblemBody);
            }
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's error page): fall back to the status.
        }
        string code = problem?.Code ?? response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => "unauthenticated",
            HttpStatusCode.NotFound => "not_found",
            HttpStatusCode.TooManyRequests => "rate_limited",
            _ => "http_" + status,
        };
        string message = problem?.Detail ?? problem?.Title ?? $"The server answered {status} {response.ReasonPhrase}.";
        return new ServerProblemException(status, code, message, problem?.Epoch, retryAfter) { MaxFileSize = problem?.MaxFileSize };
    }

    public void Dispose()
    {
        _http.Dispose();
        _sealedHttp?.Dispose();
    }
}
