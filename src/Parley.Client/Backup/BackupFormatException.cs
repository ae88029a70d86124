namespace Parley.Client.Backup;

/// <summary>Why a backup file cannot be read.</summary>
public enum BackupProblem
{
    /// <summary>The file does not start like a Parley backup.</summary>
    NotABackup,

    /// <summary>The file is a Parley backup of a format version this Parley does not read.</summary>
    UnsupportedVersion,

    /// <summary>The key or passphrase does not open this backup (the header's key check does not match).</summary>
    WrongKey,

    /// <summary>The backup was made with a passphrase and a key was given, or the other way round.</summary>
    WrongKeyKind,

    /// <summary>A chunk does not authenticate: the file was changed, its chunks reordered, or it was cut short.</summary>
    Damaged,

    /// <summary>The backup opens but belongs to another server than the one named.</summary>
    OtherServer,
}

/// <summary>A backup file that cannot be read, with the reason in <see cref="Problem"/>.</summary>
public sealed class BackupFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BackupFormatException(BackupProblem problem, string message, Exception? innerException = null)
        : base(message, innerException) => Problem = problem;

    /// <summary>Creates an exception for a damaged backup.</summary>
    public BackupFormatException() : this(BackupProblem.Damaged, "The backup is damaged.") { }

    /// <summary>Creates an exception for a damaged backup.</summary>
    public BackupFormatException(string message) : this(BackupProblem.Damaged, message) { }

    /// <summary>Creates an exception for a damaged backup.</summary>
    public BackupFormatException(string message, Exception innerException) : this(BackupProblem.Damaged, message, innerException) { }

    /// <summary>Why the file cannot be read.</summary>
    public BackupProblem Problem { get; }
}
