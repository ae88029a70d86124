using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Parley.Server.Moderation;

namespace Parley.Server.Tests;

/// <summary>The operator as the CLI acts: an Ed25519 key whose public half the server is started with, signing
/// every admin request over its method, path and query, time, nonce and body.</summary>
public sealed class TestOperator
{
    private readonly byte[] _seed = RandomNumberGenerator.GetBytes(OperatorSignature.KeyLength);

    /// <summary>The public key to start the server with (base64).</summary>
    public string PublicKey => Convert.ToBase64String(OperatorSignature.PublicKeyOf(_seed));

    /// <summary>Server settings that enable this operator.</summary>
    public Dictionary<string, string?> Settings => new() { ["Parley:OperatorKey"] = PublicKey };

    /// <summary>Sends a signed request; <paramref name="unixSeconds"/>, <paramref name="nonce"/> and
    /// <paramref name="seed"/> override what an honest operator would use.</summary>
    public async Task<HttpResponseMessage> SendAsync(ServerFactory server, HttpMethod method, string pathAndQuery, object? body = null,
        long? unixSeconds = null, string? nonce = null, byte[]? seed = null)
    {
        byte[] content = body is null ? [] : JsonSerializer.SerializeToUtf8Bytes(body, TestHttp.Json);
        long time = unixSeconds ?? server.Time.GetUtcNow().ToUnixTimeSeconds();
        string usedNonce = nonce ?? NewNonce();
        using var request = new HttpRequestMessage(method, pathAndQuery);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(content);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }
        request.Headers.TryAddWithoutValidation("Authorization",
            OperatorSignature.Header(seed ?? _seed, method.Method, pathAndQuery, time, usedNonce, content));
        using HttpClient client = server.CreateClient();
        return await client.SendAsync(request);
    }

    /// <summary>The Authorization header this operator would send for a request with exactly these parts.</summary>
    public string HeaderFor(string method, string pathAndQuery, long unixSeconds, string nonce, byte[] body)
        => OperatorSignature.Header(_seed, method, pathAndQuery, unixSeconds, nonce, body);

    public Task<HttpResponseMessage> GetAsync(ServerFactory server, string pathAndQuery) => SendAsync(server, HttpMethod.Get, pathAndQuery);

    public Task<HttpResponseMessage> PostAsync(ServerFactory server, string pathAndQuery, object? body = null)
        => SendAsync(server, HttpMethod.Post, pathAndQuery, body);

    /// <summary>Reads a successful JSON answer.</summary>
    public static async Task<T> ReadAsync<T>(HttpResponseMessage response)
    {
        await TestHttp.EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<T>(TestHttp.Json))!;
    }

    public static string NewNonce() => Base64UrlOf(RandomNumberGenerator.GetBytes(OperatorSignature.NonceLength));

    private static string Base64UrlOf(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
