// Who may use the app (docs/web.md, "Security"): only a browser on this machine that opened the address with the
// one-time token. A web page elsewhere must not reach it through the browser: DNS rebinding (a foreign name pointing
// at 127.0.0.1) is refused by the Host check, cross-site requests carry no cookie (SameSite=Strict), and the live
// connection checks Origin as well.
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Parley.Web.Access;

/// <summary>The one-time token, the session cookies it was exchanged for, and the checks every request passes.</summary>
internal sealed class LocalAccess
{
    /// <summary>The cookie that carries a session. Cookies do not tell ports apart, so the name carries the port: two
    /// homes' apps open in one browser keep their own sessions.</summary>
    public string CookieName => $"parley_session_{_port}";

    /// <summary>The page's Content-Security-Policy: its own files only, no inline script, no frames, no forms elsewhere.
    /// One allowance: inline style attributes (<c>style-src-attr 'unsafe-inline'</c>), which the virtualized message
    /// list sets on its spacers. A style attribute runs no script and loads nothing (every fetch is still limited to
    /// 'self' by the other directives); it can only change layout. Style sheets and &lt;style&gt; elements stay 'self'
    /// only (docs/security.md, "Local web app").</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; style-src-elem 'self'; style-src-attr 'unsafe-inline'; img-src 'self' blob: data:; media-src 'self' blob:; "
        + "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'; object-src 'none'";

    private readonly Lock _lock = new();
    private readonly HashSet<string> _sessions = new(StringComparer.Ordinal);
    private byte[]? _token = RandomNumberGenerator.GetBytes(32);
    private int _port;

    /// <summary>The one-time token as it appears in the address; empty once used.</summary>
    public string Token { get; } 

    public LocalAccess() => Token = Base64Url(_token!);

    /// <summary>The port the app listens on (known once it started).</summary>
    public int Port
    {
        get => _port;
        set => _port = value;
    }

    /// <summary>True when <paramref name="host"/> is this app's own address (127.0.0.1:PORT or localhost:PORT).</summary>
    public bool IsOwnHost(string? host)
        => host is not null && (host == $"127.0.0.1:{_port}" || host.Equals($"localhost:{_port}", StringComparison.OrdinalIgnoreCase));

    /// <summary>True when <paramref name="origin"/> is this app's own origin.</summary>
    public bool IsOwnOrigin(string? origin)
        => origin is not null && (origin == $"http://127.0.0.1:{_port}" || origin.Equals($"http://localhost:{_port}", StringComparison.OrdinalIgnoreCase));

    /// <summary>Exchanges the one-time token for a new session id; null when the token is wrong or was used already.</summary>
    public string? Redeem(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }
        byte[] given = Encoding.ASCII.GetBytes(token);
        lock (_lock)
        {
            if (_token is null || !CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(Base64Url(_token))))
            {
                return null;
            }
            CryptographicOperations.ZeroMemory(_token);
            _token = null;
            string session = Base64Url(RandomNumberGenerator.GetBytes(32));
            _sessions.Add(session);
            return session;
        }
    }

    /// <summary>True when the request carries a live session cookie.</summary>
    public bool HasSession(HttpRequest request)
    {
        if (!request.Cookies.TryGetValue(CookieName, out string? value) || string.IsNullOrEmpty(value))
        {
            return false;
        }
        lock (_lock)
        {
            // Compare each in constant time: the cookie is a secret.
            byte[] given = Encoding.ASCII.GetBytes(value);
            bool found = false;
            foreach (string session in _sessions)
            {
                found |= CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(session));
            }
            return found;
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
