using Npgsql;

namespace Parley.Server.Storage.Postgres;

/// <summary>Expiry sweeps, which every node runs: each deletes in slices of rows it could lock
/// without waiting (SKIP LOCKED), one short transaction per slice, so sweeps on several nodes
/// share the work instead of deadlocking on it and never hold up the writers for long.</summary>
internal static class PostgresSweeps
{
    /// <summary>Runs <paramref name="sliceSql"/> (a DELETE of at most 1000 rows taking the cut-off as
    /// $1) until a slice deletes fewer than 1000 rows; returns how many rows went.</summary>
    public static async Task<int> DeleteInSlicesAsync(NpgsqlConnection connection, string sliceSql, long cutoff,
        CancellationToken cancellationToken)
    {
        int total = 0;
        while (true)
        {
            int deleted = await connection.ExecuteAsync(sliceSql, [cutoff], cancellationToken);
            total += deleted;
            if (deleted < 1000)
            {
                return total;
            }
        }
    }
}
