namespace Parley.Server.Http;

/// <summary>The stable error codes of the server's problem details.</summary>
public static class ProblemCodes
{
    public const string MalformedRequest = "malformed_request";
    public const string RequestTooLarge = "request_too_large";
    public const string Unauthenticated = "unauthenticated";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string RateLimited = "rate_limited";
    public const string InternalError = "internal_error";
    public const string InvalidUsername = "invalid_username";
    public const string UsernameTaken = "username_taken";
    public const string InvalidKey = "invalid_key";
    public const string InvalidSignature = "invalid_signature";
    public const string InvalidChallenge = "invalid_challenge";
    public const string UnsupportedCipherSuite = "unsupported_cipher_suite";
    public const string AccountNotFound = "account_not_found";
    public const string DeviceNotFound = "device_not_found";
    public const string DeviceExists = "device_exists";
    public const string TooManyDevices = "too_many_devices";
    public const string InvalidKeyPackage = "invalid_key_package";
    public const string TooManyKeyPackages = "too_many_key_packages";
    public const string NoKeyPackages = "no_key_packages";
    public const string InvalidGroupId = "invalid_group_id";
    public const string GroupExists = "group_exists";
    public const string GroupNotFound = "group_not_found";
    public const string InvalidMessageId = "invalid_message_id";
    public const string MalformedMlsMessage = "malformed_mls_message";
    public const string MessageTooLarge = "message_too_large";
    public const string GroupMismatch = "group_mismatch";
    public const string UnsupportedWireFormat = "unsupported_wire_format";
    public const string HandshakeMustBePublic = "handshake_must_be_public";
    public const string ApplicationMustBePrivate = "application_must_be_private";
    public const string UnexpectedWelcome = "unexpected_welcome";
    public const string StaleEpoch = "stale_epoch";
    public const string NotMember = "not_member";
    public const string InvalidCommit = "invalid_commit";
    public const string UnknownDevice = "unknown_device";
    public const string GroupFull = "group_full";
    public const string MessageNotFound = "message_not_found";
    public const string WebSocketRequired = "websocket_required";
    public const string InvalidBlobSize = "invalid_blob_size";
    public const string BlobTooLarge = "blob_too_large";
    public const string BlobQuotaExceeded = "blob_quota_exceeded";
    public const string BlobNotFound = "blob_not_found";
    public const string NotUploader = "not_uploader";
    public const string UploadOffsetMismatch = "upload_offset_mismatch";
    public const string UploadInProgress = "upload_in_progress";
    public const string ChunkInterrupted = "chunk_interrupted";
    public const string BlobIncomplete = "blob_incomplete";
}
