namespace Parley.Server.Storage.Shared;

/// <summary>Thrown inside a write to refuse it: the engine undoes the write's changes (its savepoint or its
/// transaction) and <see cref="SqlEngine.WriteOrRefuseAsync{T}"/> hands <see cref="Outcome"/> to the caller.</summary>
internal sealed class StoreRollback<T>(T outcome) : Exception("The write was undone: " + outcome)
{
    /// <summary>What the caller should answer.</summary>
    public T Outcome { get; } = outcome;
}
