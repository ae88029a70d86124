// Turns failures of the MLS library into gRPC statuses with a clear message, so the test runner sees
// why a step failed instead of a bare INTERNAL error.
using Grpc.Core;
using Grpc.Core.Interceptors;
using Parley.Mls.Codec;

namespace Parley.Mls.Interop;

/// <summary>Maps exceptions thrown by an rpc to gRPC status codes; messages never carry secrets
/// (the library's exception messages do not).</summary>
public sealed class ErrorInterceptor(ILogger<ErrorInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            throw;
        }
        catch (Exception e)
        {
            var status = ToStatus(e);
            logger.LogWarning("{Method} failed: {Status}", context.Method, status);
            throw new RpcException(status);
        }
    }

    /// <summary>The status an exception becomes: the caller's mistakes are INVALID_ARGUMENT or NOT_FOUND,
    /// refusals by the MLS rules FAILED_PRECONDITION, what Parley does not serve UNIMPLEMENTED.</summary>
    internal static Status ToStatus(Exception e) => e switch
    {
        InteropStateNotFoundException => new Status(StatusCode.NotFound, e.Message),
        MlsDecodeException => new Status(StatusCode.InvalidArgument, $"Malformed MLS data: {e.Message}"),
        MlsException => new Status(StatusCode.FailedPrecondition, $"{e.GetType().Name}: {e.Message}"),
        NotSupportedException => new Status(StatusCode.Unimplemented, e.Message),
        ArgumentException or FormatException => new Status(StatusCode.InvalidArgument, e.Message),
        InvalidOperationException or ObjectDisposedException => new Status(StatusCode.FailedPrecondition, e.Message),
        _ => new Status(StatusCode.Internal, $"{e.GetType().Name}: {e.Message}"),
    };
}
