namespace Parley.Server.Storage.Shared;

/// <summary>The rows a write will lock, declared up front (PostgreSQL uses them; SQLite's single writer needs no lock order) so that a batch takes its locks in one
/// global order: first the mailbox heads of every device it touches (one sorted statement), then
/// group rows in group-id order. Batches on any node therefore never wait on each other in a circle.</summary>
/// <param name="Group">The group whose row the write may lock (a commit or proposal), or null.</param>
/// <param name="Devices">Devices whose mailbox, key packages or device row the write changes, or null.</param>
internal readonly record struct WriteKeys(string? Group, IReadOnlyCollection<string>? Devices)
{
    /// <summary>Keys for a write to one device's rows.</summary>
    public static WriteKeys Device(string device) => new(null, [device]);

    /// <summary>Keys for a write to one group's rows.</summary>
    public static WriteKeys ForGroup(string group) => new(group, null);
}
