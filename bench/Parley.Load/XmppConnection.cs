// RFC 6120 (XMPP core) client-to-server, reduced to what a relay benchmark needs: open the stream, SASL PLAIN
// (RFC 4616; loopback only, no TLS), resource binding, then <message/> stanzas with a base64 body out and in.
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Parley.Load;

/// <summary>One XMPP session over TCP. Writes are serialized; <see cref="ReceiveAsync"/> hands over each incoming
/// message body. Not a general XMPP client: it expects the stanzas ejabberd sends for this workload.</summary>
internal sealed class XmppConnection : IAsyncDisposable
{
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly StringBuilder _pending = new();
    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
    private readonly char[] _chars = new char[16 * 1024];

    private XmppConnection(Socket socket, string domain)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
        Domain = domain;
    }

    public string Domain { get; }

    /// <summary>The full JID bound for this session.</summary>
    public string Jid { get; private set; } = "";

    /// <summary>Connects, authenticates as <paramref name="user"/> and binds resource "load".</summary>
    public static async Task<XmppConnection> ConnectAsync(IPEndPoint server, string domain, string user, string password, CancellationToken cancellationToken,
        IPAddress? source = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }
            await socket.ConnectAsync(server, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new XmppConnection(socket, domain);
        try
        {
            await connection.OpenStreamAsync(cancellationToken);
            string features = await connection.ReadUntilAsync(t => t.Contains("</stream:features>", StringComparison.Ordinal), cancellationToken);
            if (!features.Contains(">PLAIN<", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("The XMPP server offers no SASL PLAIN: " + features);
            }
            string token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
            await connection.WriteAsync($"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}</auth>", cancellationToken);
            string outcome = await connection.ReadUntilAsync(
                t => (t.Contains("<success", StringComparison.Ordinal) || t.Contains("</failure>", StringComparison.Ordinal)) && t.TrimEnd().EndsWith('>'),
                cancellationToken);
            if (!outcome.Contains("<success", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"XMPP authentication of {user} failed: {outcome}");
            }
            connection.Discard();
            await connection.OpenStreamAsync(cancellationToken);
            await connection.ReadUntilAsync(t => t.Contains("</stream:features>", StringComparison.Ordinal), cancellationToken);
            await connection.WriteAsync("<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>load</resource></bind></iq>",
                cancellationToken);
            string bound = await connection.ReadUntilAsync(t => t.Contains("</iq>", StringComparison.Ordinal), cancellationToken);
            int start = bound.IndexOf("<jid>", StringComparison.Ordinal), end = bound.IndexOf("</jid>", StringComparison.Ordinal);
            if (!bound.Contains("type='result'", StringComparison.Ordinal) && !bound.Contains("type=\"result\"", StringComparison.Ordinal) || start < 0 || end < start)
            {
                throw new InvalidOperationException("XMPP resource binding failed: " + bound);
            }
            connection.Jid = bound[(start + 5)..end];
            connection.Discard();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends a chat message with a base64 body to a full JID.</summary>
    public Task SendMessageAsync(string to, string id, string base64Body, CancellationToken cancellationToken)
        => WriteAsync($"<message to='{to}' id='{id}' type='chat'><body>{base64Body}</body></message>", cancellationToken);

    /// <summary>Reads the stream until it ends, calling <paramref name="onBody"/> with each message's body.</summary>
    public async Task ReceiveAsync(Action<string> onBody, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Take every complete <message>…</message> in what has arrived; anything else (presence, whitespace) is skipped.
            while (true)
            {
                string text = _pending.ToString();
                int start = text.IndexOf("<message", StringComparison.Ordinal);
                if (start < 0)
                {
                    _pending.Clear();
                    break;
                }
                int end = text.IndexOf("</message>", start, StringComparison.Ordinal);
                if (end < 0)
                {
                    _pending.Remove(0, start);
                    break;
                }
                int body = text.IndexOf("<body>", start, end - start, StringComparison.Ordinal);
                int bodyEnd = body < 0 ? -1 : text.IndexOf("</body>", body, end - body, StringComparison.Ordinal);
                _pending.Remove(0, end + "</message>".Length);
                if (bodyEnd > body)
                {
                    onBody(text[(body + 6)..bodyEnd]);
                }
            }
            if (!await FillAsync(cancellationToken))
            {
                return;
            }
        }
    }

    private Task OpenStreamAsync(CancellationToken cancellationToken)
        => WriteAsync($"<?xml version='1.0'?><stream:stream to='{Domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
            cancellationToken);

    private async Task WriteAsync(string xml, CancellationToken cancellationToken)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(xml);
        await _writing.WaitAsync(cancellationToken);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken);
        }
        finally
        {
            _writing.Release();
        }
    }

    // Handshake only: reads until what arrived satisfies done and returns all of it.
    private async Task<string> ReadUntilAsync(Func<string, bool> done, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            string text = _pending.ToString();
            if (done(text))
            {
                return text;
            }
            if (!await FillAsync(timeout.Token))
            {
                throw new IOException("The XMPP server closed the stream: " + text);
            }
        }
    }

    private void Discard() => _pending.Clear();

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        int read = await _stream.ReadAsync(_buffer, cancellationToken);
        if (read == 0)
        {
            return false;
        }
        int chars = _utf8.GetChars(_buffer, 0, read, _chars, 0);
        _pending.Append(_chars, 0, chars);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _writing.Dispose();
    }
}
