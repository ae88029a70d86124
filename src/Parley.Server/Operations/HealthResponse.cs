namespace Parley.Server.Operations;

/// <summary>The health check's answer.</summary>
public sealed record HealthResponse(string Status);
