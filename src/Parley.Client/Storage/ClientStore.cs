// The encrypted local store of one device (docs/client-envelope.md, "Local store").
using Parley.Content;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Parley.Client.Attachments;
using Parley.Client.Conversations;
using Parley.Client.Identity;
using Parley.Client.Messages;
using Parley.Client.Search;
using Parley.Mls.Group;

namespace Parley.Client.Storage;

/// <summary>A device's local store: one SQLite file whose values are each sealed with XChaCha20-Poly1305 under a
/// random store key, itself wrapped by an Argon2id key from the passphrase. Reads are thread-safe and see committed
/// data; every write goes through a <see cref="StoreTransaction"/> (one writer at a time). Identity, conversations
/// and contacts are held in memory from open; message history is decrypted on demand and, in the background, into
/// an in-memory search index. Dispose wipes the keys.</summary>
public sealed partial class ClientStore : IDisposable
{
    private readonly string _readConnectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly FileStream _lockFile;
    private readonly HistoryIndex _index = new();
    private readonly object _cacheGate = new();
    private readonly Dictionary<ConversationId, Conversation> _conversations = [];
    private readonly Dictionary<string, (byte[] RowId, Contact Contact)> _contacts = new(StringComparer.Ordinal);
    private readonly StoreCipher _cipher;
    private DeviceIdentity? _identity;
    private long _lastMessageSeq;
    private long _lastOutboxSeq;
    private int _disposed;

    private ClientStore(string path, SqliteConnection writer, FileStream lockFile, StoreCipher cipher, ClientStoreOptions options)
    {
        Path = path;
        _writer = writer;
        _lockFile = lockFile;
        _cipher = cipher;
        Time = options.Time;
        AttachmentsDirectory = options.AttachmentsDirectory ?? System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, "attachments");
        _readConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The clock the store stamps times with.</summary>
    public TimeProvider Time { get; }

    /// <summary>Where local attachment ciphertext files live.</summary>
    public string AttachmentsDirectory { get; }

    /// <summary>This device's identity, or null until <see cref="StoreTransaction.SaveIdentity"/> committed one.</summary>
    public DeviceIdentity? Identity
    {
        get
        {
            lock (_cacheGate)
            {
                return _identity;
            }
        }
    }

    /// <summary>Every conversation, most recently active first.</summary>
    public IReadOnlyList<Conversation> Conversations
    {
        get
        {
            lock (_cacheGate)
            {
                return _conversations.Values.OrderByDescending(c => c.LastActivityAt).ThenBy(c => c.Id.Value).ToList();
            }
        }
    }

    /// <summary>Completes when the background search index (and disappearing-message schedule) is built.</summary>
    public Task IndexReady => _index.Ready;

    internal StoreCipher Cipher => _cipher;

    internal HistoryIndex Index => _index;

    // ---- Creating and opening ---------------------------------------------------------------

    /// <summary>True when a store file exists at <paramref name="path"/>.</summary>
    public static bool Exists(string path) => File.Exists(path);

    /// <summary>Creates a new store at <paramref name="path"/> (its folder is created, private to the user) with a
    /// fresh store key wrapped under <paramref name="passphrase"/>.</summary>
    public static ClientStore Create(string path, string passphrase, ClientStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(passphrase);
        options ??= new ClientStoreOptions();
        path = System.IO.Path.GetFullPath(path);
        if (File.Exists(path))
        {
            throw new ClientStoreException($"A Parley store already exists at '{path}'; open it instead.");
        }
        CreatePrivateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var lockFile = AcquireLock(path);
        SqliteConnection? writer = null;
        StoreCipher? cipher = null;
        try
        {
            CreatePrivateFile(path);
            writer = OpenWriter(path);
            cipher = StoreCipher.CreateNew();
            var (header, wrapped) = cipher.Wrap(passphrase, options.KeyDerivation);
            using (var transaction = writer.BeginTransaction())
            {
                StoreSchema.Create(writer, transaction);
                WriteMeta(writer, transaction, "kdf", header);
                WriteMeta(writer, transaction, "wrapped_key", wrapped);
                transaction.Commit();
            }
            var store = new ClientStore(path, writer, lockFile, cipher, options);
            store.Load();
            return store;
        }
        catch
        {
            cipher?.Dispose();
            writer?.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Opens the store at <paramref name="path"/>. Throws <see cref="WrongPassphraseException"/> when the
    /// passphrase does not unlock it and <see cref="StoreInUseException"/> when another process has it open.</summary>
    public static ClientStore Open(string path, string passphrase, ClientStoreOptions? options = null)
        => Open(path, passphrase, options, null);

    /// <summary>Opens the store at <paramref name="path"/> with the lock <paramref name="reservation"/> holds (when not
    /// null): on success the store keeps the lock, and when opening fails (a wrong passphrase) the reservation still
    /// holds it, so no other process can take the home in between.</summary>
    public static ClientStore Open(string path, string passphrase, ClientStoreOptions? options, StoreReservation? reservation)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(passphrase);
        options ??= new ClientStoreOptions();
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            throw new ClientStoreException($"There is no Parley store at '{path}'; create one first.");
        }
        var lockFile = LockFor(path, reservation);
        SqliteConnection? writer = null;
        StoreCipher? cipher = null;
        try
        {
            writer = OpenWriter(path);
            StoreSchema.Check(writer);
            byte[] header = ReadMeta(writer, "kdf");
            byte[] wrapped = ReadMeta(writer, "wrapped_key");
            cipher = StoreCipher.Unwrap(passphrase, header, wrapped);
            StoreSchema.Upgrade(writer);
            var store = new ClientStore(path, writer, lockFile, cipher, options);
            store.Load();
            return store;
        }
        catch
        {
            cipher?.Dispose();
            writer?.Dispose();
            if (reservation is null)
            {
                lockFile.Dispose();
            }
            else
            {
                reservation.Return(lockFile);
            }
            throw;
        }
    }

    /// <summary>Re-wraps the store key under <paramref name="newPassphrase"/> (the data is not re-encrypted).</summary>
    public void ChangePassphrase(string newPassphrase, StoreKeyDerivation? keyDerivation = null)
    {
        ArgumentNullException.ThrowIfNull(newPassphrase);
        var (header, wrapped) = _cipher.Wrap(newPassphrase, keyDerivation ?? StoreKeyDerivation.Default);
        using var transaction = BeginTransaction();
        WriteMeta(_writer, transaction.Sqlite, "kdf", header);
        WriteMeta(_writer, transaction.Sqlite, "wrapped_key", wrapped);
        transaction.Commit();
    }

    /// <summary>The Argon2id parameters this store's key is wrapped with.</summary>
    public StoreKeyDerivation KeyDerivation
    {
        get
        {
            using var connection = OpenReader();
            return StoreCipher.DecodeKdfHeader(ReadMeta(connection, "kdf")).Kdf;
        }
    }

    // ---- Transactions -----------------------------------------------------------------------

    /// <summary>Starts the one write transaction (waiting for the current one to end). Commit it, or dispose it
    /// to roll everything back.</summary>
    public StoreTransaction BeginTransaction()
    {
        ThrowIfDisposed();
        _writeLock.Wait();
        return StartTransaction();
    }

    /// <summary>Starts the one write transaction without blocking a thread while another is open.</summary>
    public async Task<StoreTransaction> BeginTransactionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        return StartTransaction();
    }

    private StoreTransaction StartTransaction()
    {
        try
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                throw new ObjectDisposedException(nameof(ClientStore));
            }
            return new StoreTransaction(this, _writer, _writer.BeginTransaction());
        }
        catch
        {
            _writeLock.Release();
            throw;
        }
    }

    internal void EndTransaction() => _writeLock.Release();

    internal long NextMessageSeq() => ++_lastMessageSeq;

    internal long NextOutboxSeq() => ++_lastOutboxSeq;

    // Called after a commit, still under the write lock, so caches and the index change in commit order.
    internal void Publish(StoreTransaction.Changes changes)
    {
        lock (_cacheGate)
        {
            if (changes.Identity is not null && !ReferenceEquals(changes.Identity, _identity))
            {
                _identity?.Dispose();
                _identity = changes.Identity;
            }
            if (changes.Registration is { } registration && _identity is not null)
            {
                _identity.CredentialToken = registration.Token;
                _identity.DeviceCertificate = registration.Certificate;
            }
            foreach (var (id, conversation) in changes.Conversations)
            {
                if (conversation is null)
                {
                    _conversations.Remove(id);
                }
                else
                {
                    _conversations[id] = conversation;
                }
            }
            foreach (var (rowId, contact) in changes.Contacts)
            {
                _contacts[contact.Username] = (rowId, contact);
            }
        }
        _index.Apply(changes.Index);
        if (changes.Index.Count > 0)
        {
            ScheduleExpiry();
        }
    }

    // ---- Conversations and groups -----------------------------------------------------------

    /// <summary>The conversation with <paramref name="id"/>, or null.</summary>
    public Conversation? GetConversation(ConversationId id)
    {
        lock (_cacheGate)
        {
            return _conversations.GetValueOrDefault(id);
        }
    }

    /// <summary>The conversation whose MLS group id is <paramref name="groupId"/>, or null.</summary>
    public Conversation? FindConversationByGroupId(ReadOnlySpan<byte> groupId)
    {
        lock (_cacheGate)
        {
            foreach (var c in _conversations.Values)
            {
                if (groupId.SequenceEqual(c.GroupId))
                {
                    return c;
                }
            }
            return null;
        }
    }

    /// <summary>Decrypts and restores the conversation's MLS group (the caller owns and disposes it).</summary>
    public MlsGroup LoadGroup(ConversationId id, MlsGroupOptions? options = null)
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_state FROM conversations WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id.ToBytes());
        var cell = command.ExecuteScalar() as byte[]
            ?? throw new ClientStoreException($"Conversation {id} has no MLS group state.");
        byte[] state = _cipher.Open(StoreSchema.Conversations, "group_state", id.ToBytes(), cell);
        try
        {
            return MlsGroup.Restore(state, options);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(state);
        }
    }

    // ---- Loading ------------------------------------------------------------------------------

    private void Load()
    {
        using (var command = _writer.CreateCommand())
        {
            command.CommandText = "SELECT record FROM identity WHERE id = 1;";
            if (command.ExecuteScalar() is byte[] cell)
            {
                _identity = StoredRecords.DecodeIdentity(_cipher.Open(StoreSchema.Identity, "record", [1], cell));
            }
            command.CommandText = "SELECT id, record FROM conversations;";
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    byte[] id = (byte[])reader[0];
                    var conversation = StoredRecords.DecodeConversation(ConversationId.FromBytes(id), _cipher.Open(StoreSchema.Conversations, "record", id, (byte[])reader[1]));
                    _conversations[conversation.Id] = conversation;
                }
            }
            command.CommandText = "SELECT id, record FROM contacts;";
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    byte[] id = (byte[])reader[0];
                    var contact = StoredRecords.DecodeContact(_cipher.Open(StoreSchema.Contacts, "record", id, (byte[])reader[1]));
                    _contacts[contact.Username] = (id, contact);
                }
            }
            command.CommandText = "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0), coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0);";
            using (var reader = command.ExecuteReader())
            {
                reader.Read();
                _lastMessageSeq = reader.GetInt64(0);
                _lastOutboxSeq = reader.GetInt64(1);
            }
        }
        _index.Start(ReadIndexSnapshot);
        StartExpirySchedule();
    }

    // Runs on a pool thread: one read transaction, so the rows form one snapshot of the store.
    private IEnumerable<IndexEntry> ReadIndexSnapshot(CancellationToken cancellationToken)
    {
        using var connection = OpenReader();
        using var transaction = connection.BeginTransaction(deferred: true);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT seq, conversation, record, state FROM messages;";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var conversation = ConversationId.FromBytes((byte[])reader[1]);
            var message = DecodeMessageRow(reader.GetInt64(0), conversation, (byte[])reader[2], (byte[])reader[3]);
            yield return StoreTransaction.IndexEntryOf(message);
        }
    }

    internal SqliteConnection OpenReader()
    {
        ThrowIfDisposed();
        var connection = new SqliteConnection(_readConnectionString);
        connection.Open();
        return connection;
    }

    private static SqliteConnection OpenWriter(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        StoreSchema.ConfigureWriter(connection);
        return connection;
    }

    private static void WriteMeta(SqliteConnection connection, SqliteTransaction transaction, string name, byte[] value)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO meta (name, value) VALUES ($n, $v) ON CONFLICT (name) DO UPDATE SET value = excluded.value;";
        command.Parameters.AddWithValue("$n", name);
        command.Parameters.AddWithValue("$v", value);
        command.ExecuteNonQuery();
    }

    private static byte[] ReadMeta(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE name = $n;";
        command.Parameters.AddWithValue("$n", name);
        return command.ExecuteScalar() as byte[] ?? throw new StoreFormatException($"The store's header lacks '{name}'.");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>Closes the store: waits (up to 30 s) for an open transaction, stops the index, closes the file and
    /// wipes the keys.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        StopExpirySchedule();
        bool locked = _writeLock.Wait(TimeSpan.FromSeconds(30));
        try
        {
            _index.Dispose();
            _writer.Dispose();
            SqliteConnection.ClearPool(new SqliteConnection(_readConnectionString));
            lock (_cacheGate)
            {
                _identity?.Dispose();
                _identity = null;
                _conversations.Clear();
                _contacts.Clear();
            }
            _cipher.Dispose();
            // The lock file stays: deleting it could let two processes each lock a different file.
            _lockFile.Dispose();
        }
        finally
        {
            if (locked)
            {
                _writeLock.Release();
            }
        }
    }

    public override string ToString() => $"ClientStore({Path})";
}
