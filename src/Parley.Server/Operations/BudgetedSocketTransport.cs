// Why the transport is wrapped: Kestrel's accept loop accepts as fast as connections arrive, and a connection the budget's
// gate refuses still holds its socket until Kestrel has disposed of it. Under a flood the accepted-but-not-yet-closed
// sockets ran to the open-file limit (399 of 400 in FileLimitTests), where accept(2) fails with EMFILE and the process
// may abort. So the listener stops accepting while as many sockets are open as the budget allows plus a little room for
// those being refused; the rest wait in the kernel's backlog.
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Parley.Server.Operations;

/// <summary>Kestrel's socket transport with a bound on open sockets: each listener accepts only while fewer than
/// <see cref="ConnectionBudget.Sockets"/> sockets are open across the node.</summary>
internal sealed class BudgetedSocketTransport(SocketTransportFactory sockets, ConnectionBudget budget)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => sockets.CanBind(endpoint);

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
        => new Listener(await sockets.BindAsync(endpoint, cancellationToken), budget);

    private sealed class Listener(IConnectionListener inner, ConnectionBudget budget) : IConnectionListener
    {
        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            await budget.WaitForSocketAsync(cancellationToken);
            ConnectionContext? connection;
            try
            {
                connection = await inner.AcceptAsync(cancellationToken);
            }
            catch
            {
                budget.SocketClosed();
                throw;
            }
            if (connection is null)
            {
                budget.SocketClosed();
                return null;
            }
            // The socket transport signals ConnectionClosed once the socket is closed, whoever closed it; a transport that
            // cannot signal it is not counted, rather than holding its place for ever.
            if (connection.ConnectionClosed.CanBeCanceled)
            {
                connection.ConnectionClosed.Register(static state => ((ConnectionBudget)state!).SocketClosed(), budget);
            }
            else
            {
                budget.SocketClosed();
            }
            return connection;
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => inner.UnbindAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
