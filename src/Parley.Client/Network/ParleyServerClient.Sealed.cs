// Parley server protocol v1, "POST /v1/groups/{groupId}/sealed" (docs/server-protocol.md; docs/protocol.md, "Sealed sending").
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Parley.Client.Network;

public sealed partial class ParleyServerClient
{
    private readonly HttpMessageHandler? _handler;
    private HttpClient? _sealedHttp;

    // Sealed sends go without the device's credential and over connections of their own: a request on the device's
    // authenticated connection would name the device by the connection it came on.
    private HttpClient SealedHttp => LazyInitializer.EnsureInitialized(ref _sealedHttp, () =>
    {
        var http = _handler is null
            ? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            : new HttpClient(_handler, disposeHandler: false);
        http.BaseAddress = Server;
        http.Timeout = Timeout.InfiniteTimeSpan;
        return http;
    });

    /// <summary>POST /v1/groups/{groupId}/sealed: sends an application message signed by its epoch's delivery key, without the
    /// device's credential; returns once every member's copy is on disk. Safe to repeat with the same id.</summary>
    public async Task<SendResponse> SendSealedAsync(byte[] groupId, SealedSendRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(request, ClientJsonContext.Default.SealedSendRequest);
        string path = $"v1/groups/{GroupIds.ToUrl(groupId)}/sealed";
        using var response = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        }, cancellationToken, SealedHttp).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync(ClientJsonContext.Default.SendResponse, cancellationToken).ConfigureAwait(false)
                   ?? throw new ServerUnavailableException($"The server at {Server} sent an empty answer to a sealed send.");
        }
        catch (JsonException e)
        {
            throw new ServerUnavailableException($"The server at {Server} sent an answer to a sealed send that is not valid JSON.", e);
        }
    }
}
