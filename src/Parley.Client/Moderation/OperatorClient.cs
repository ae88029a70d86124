// Parley server protocol v1, "/v1/admin/..." (docs/server-protocol.md, "Operator"): the server operator's side.
// Every request carries
//   Authorization: Operator {unixSeconds}.{nonce}.{signature}
// where nonce is 16 random bytes and signature is the operator key's Ed25519 signature over the request's
// OperatorRequestStatement (Parley.Content), the same bytes the server checks.
using System.Buffers.Text;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Parley.Client.Network;
using Parley.Content;

namespace Parley.Client.Moderation;

/// <summary>Talks to a Parley server as its operator: abuse reports, account suspension, public channel takedowns
/// and the audit log. Refusals become <see cref="ServerProblemException"/>s with the problem's stable code; an
/// unreachable server a <see cref="ServerUnavailableException"/>.</summary>
public sealed class OperatorClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly OperatorSigningKey _key;
    private readonly TimeProvider _time;

    /// <summary>A client of the server at <paramref name="server"/> signing with <paramref name="key"/> (which the caller
    /// keeps and disposes).</summary>
    public OperatorClient(Uri server, OperatorSigningKey key, HttpMessageHandler? handler = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        Server = server;
        _key = key ?? throw new ArgumentNullException(nameof(key));
        _time = time ?? TimeProvider.System;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = server;
        _http.Timeout = TimeSpan.FromMinutes(5);
    }

    /// <summary>The server's base address.</summary>
    public Uri Server { get; }

    // ---- Reports --------------------------------------------------------------------------------

    /// <summary>GET /v1/admin/reports: open reports, or all with <paramref name="all"/>, newest first.</summary>
    public async Task<IReadOnlyList<AdminReportSummary>> ListReportsAsync(bool all = false, CancellationToken cancellationToken = default)
        => (await SendAsync(HttpMethod.Get, $"v1/admin/reports?status={(all ? "all" : "open")}", null, SafetyJsonContext.Default.AdminReportList,
            cancellationToken).ConfigureAwait(false)).Reports;

    /// <summary>GET /v1/admin/reports/{id}: the whole report, with the revealed envelope.</summary>
    public Task<AdminReport> GetReportAsync(string reportId, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Get, $"v1/admin/reports/{Escape(reportId)}", null, SafetyJsonContext.Default.AdminReport, cancellationToken);

    /// <summary>GET /v1/admin/reports/{id}/attachments/{index}: copies the evidence ciphertext into <paramref name="destination"/>.</summary>
    public async Task DownloadEvidenceAsync(string reportId, int index, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var response = await SendCoreAsync(HttpMethod.Get, $"v1/admin/reports/{Escape(reportId)}/attachments/{index.ToString(CultureInfo.InvariantCulture)}",
            null, cancellationToken).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await body.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POST /v1/admin/reports/{id}/close.</summary>
    public Task CloseReportAsync(string reportId, string resolution, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/admin/reports/{Escape(reportId)}/close",
            Json(new CloseReportRequest(resolution), SafetyJsonContext.Default.CloseReportRequest), cancellationToken);

    // ---- Accounts and public channels -----------------------------------------------------------

    /// <summary>POST /v1/admin/accounts/{username}/suspend: the account's devices are refused until it is restored.</summary>
    public Task SuspendAccountAsync(string username, string reason, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/admin/accounts/{Escape(username)}/suspend", Reason(reason), cancellationToken);

    /// <summary>POST /v1/admin/accounts/{username}/restore, with an optional reason.</summary>
    public Task RestoreAccountAsync(string username, string? reason = null, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/admin/accounts/{Escape(username)}/restore", Reason(reason ?? ""), cancellationToken);

    /// <summary>POST /v1/admin/public-channels/{name}/takedown: the channel is no longer served.</summary>
    public Task TakeDownChannelAsync(string channel, string reason, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/admin/public-channels/{Escape(channel)}/takedown", Reason(reason), cancellationToken);

    /// <summary>POST /v1/admin/public-channels/{name}/posts/{postId}/takedown: one post is no longer served.</summary>
    public Task TakeDownPostAsync(string channel, string postId, string reason, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/admin/public-channels/{Escape(channel)}/posts/{Escape(postId)}/takedown", Reason(reason), cancellationToken);

    /// <summary>POST /v1/admin/public-channels/{name}/restore, with an optional reason.</summary>
    public Task RestoreChannelAsync(string channel, string? reason = null, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"v1/admin/public-channels/{Escape(channel)}/restore", Reason(reason ?? ""), cancellationToken);

    // ---- Audit ----------------------------------------------------------------------------------

    /// <summary>GET /v1/admin/audit: every entry of the audit log, oldest first (page by page).</summary>
    public async Task<IReadOnlyList<AuditEntryResponse>> ReadAuditLogAsync(CancellationToken cancellationToken = default)
    {
        var entries = new List<AuditEntryResponse>();
        long after = 0;
        while (true)
        {
            var page = (await SendAsync(HttpMethod.Get, $"v1/admin/audit?after={after.ToString(CultureInfo.InvariantCulture)}", null,
                SafetyJsonContext.Default.AuditLogResponse, cancellationToken).ConfigureAwait(false)).Entries;
            var newer = page.Where(e => e.Sequence > after).ToList();
            if (newer.Count == 0)
            {
                return entries;
            }
            entries.AddRange(newer);
            after = newer[^1].Sequence;
        }
    }

    // ---- Signing and plumbing -------------------------------------------------------------------

    private static string Escape(string segment)
    {
        ArgumentException.ThrowIfNullOrEmpty(segment);
        return Uri.EscapeDataString(segment);
    }

    private static (byte[] Body, string Type) Json<T>(T value, JsonTypeInfo<T> type)
        => (JsonSerializer.SerializeToUtf8Bytes(value, type), "application/json");

    private static (byte[] Body, string Type) Reason(string reason)
        => Json(new OperatorReasonRequest(reason), SafetyJsonContext.Default.OperatorReasonRequest);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, (byte[] Body, string Type)? content, JsonTypeInfo<T> responseType,
        CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(method, path, content, cancellationToken).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync(responseType, cancellationToken).ConfigureAwait(false)
                   ?? throw new ServerUnavailableException($"The server at {Server} sent an empty answer to {method} /{path}.");
        }
        catch (JsonException e)
        {
            throw new ServerUnavailableException($"The server at {Server} sent an answer to {method} /{path} that is not valid JSON.", e);
        }
    }

    private async Task SendAsync(HttpMethod method, string path, (byte[] Body, string Type)? content, CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(method, path, content, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendCoreAsync(HttpMethod method, string path, (byte[] Body, string Type)? content,
        CancellationToken cancellationToken)
    {
        byte[] body = content?.Body ?? [];
        using var request = new HttpRequestMessage(method, path);
        if (content is { } c)
        {
            request.Content = new ByteArrayContent(c.Body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(c.Type);
        }
        // The path as the server sees it: the base address's path included, query as sent.
        string pathAndQuery = new Uri(Server, path).PathAndQuery;
        long now = _time.GetUtcNow().ToUnixTimeSeconds();
        string nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(OperatorRequestStatement.NonceSize));
        byte[] signature = _key.Sign(OperatorRequestStatement.Create(method.Method, pathAndQuery, now, nonce, body));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"Operator {now.ToString(CultureInfo.InvariantCulture)}.{nonce}.{Base64Url.EncodeToString(signature)}");
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ServerUnavailableException($"Cannot reach the Parley server at {Server}: {e.Message}", e);
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            throw await ParleyServerClient.ReadProblemAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _http.Dispose();
}
