using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Http;

namespace Parley.Server.Blocking;

/// <summary>Blocking and unblocking other accounts (docs/safety.md, "Blocking"). The blocked account is never told.</summary>
public static class BlockEndpoints
{
    public static IEndpointRouteBuilder MapBlockEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPut("/v1/blocks/{username}", Block).RequireAuthorization()
            .WithSummary("Blocks a user: the server stops delivering their invitations and 1:1 messages to the caller's devices.");
        app.MapDelete("/v1/blocks/{username}", Unblock).RequireAuthorization()
            .WithSummary("Lifts a block.");
        app.MapGet("/v1/blocks", List).RequireAuthorization()
            .WithSummary("Lists the users the caller's account blocks.");
        return app;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Block(string username, ClaimsPrincipal user, IAccountStore accounts,
        IBlockStore blocks, CancellationToken cancellationToken)
    {
        var (_, account) = DevicePrincipal.Of(user);
        var (target, problem) = await FindAsync(username, accounts, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (target!.Id == account)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, "You cannot block yourself.");
        }
        await blocks.BlockAsync(account, target.Id, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Unblock(string username, ClaimsPrincipal user, IAccountStore accounts,
        IBlockStore blocks, CancellationToken cancellationToken)
    {
        var (_, account) = DevicePrincipal.Of(user);
        var (target, problem) = await FindAsync(username, accounts, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        // Lifting a block that is not there is no error: the caller's wish holds either way.
        await blocks.UnblockAsync(account, target!.Id, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<BlockListResponse>> List(ClaimsPrincipal user, IBlockStore blocks, CancellationToken cancellationToken)
    {
        var (_, account) = DevicePrincipal.Of(user);
        return TypedResults.Ok(new BlockListResponse(await blocks.ListAsync(account, cancellationToken)));
    }

    private static async Task<(Account?, ProblemHttpResult?)> FindAsync(string username, IAccountStore accounts, CancellationToken cancellationToken)
    {
        if (!Username.TryParse(username, out Username name))
        {
            return (null, Problem.BadRequest(ProblemCodes.InvalidUsername, "That is not a valid username."));
        }
        Account? account = await accounts.FindByUsernameAsync(name, cancellationToken);
        return account is null
            ? (null, Problem.NotFound(ProblemCodes.AccountNotFound, $"There is no user called {name}."))
            : (account, null);
    }
}
