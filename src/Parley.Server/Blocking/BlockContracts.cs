namespace Parley.Server.Blocking;

/// <summary>The accounts the caller blocks, by username.</summary>
public sealed record BlockListResponse(IReadOnlyList<string> Blocked);
