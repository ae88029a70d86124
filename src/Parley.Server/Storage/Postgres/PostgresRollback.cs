namespace Parley.Server.Storage.Postgres;

/// <summary>Thrown inside a write to undo its changes (its savepoint is rolled back) and hand
/// <see cref="Outcome"/> to the caller, which catches it.</summary>
internal sealed class PostgresRollback<T>(T outcome) : Exception("The write was undone: " + outcome)
{
    /// <summary>What the caller should answer.</summary>
    public T Outcome { get; } = outcome;
}
