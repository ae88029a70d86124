// Counts the HTTP requests the simulated devices make and the ones the server refused with 429, so a run shows how
// many requests a message costs and whether rate limiting (which makes ParleyClient wait out Retry-After) played a part.
using System.Net;

namespace Parley.Load;

/// <summary>An HTTP handler shared by every simulated device that counts requests and 429 answers.</summary>
internal sealed class RequestCounter() : DelegatingHandler(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
{
    private long _requests, _rateLimited;

    public long Requests => Interlocked.Read(ref _requests);

    public long RateLimited => Interlocked.Read(ref _rateLimited);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            Interlocked.Increment(ref _rateLimited);
        }
        return response;
    }
}
