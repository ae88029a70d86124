using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parley.Client.Network;

/// <summary>Source-generated JSON for the server protocol (camelCase, byte arrays as base64).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ChallengeResponse))]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(RegisterResponse))]
[JsonSerializable(typeof(DirectoryEntry))]
[JsonSerializable(typeof(AddDeviceRequest))]
[JsonSerializable(typeof(AddDeviceResponse))]
[JsonSerializable(typeof(RevokeDeviceRequest))]
[JsonSerializable(typeof(DeviceListResponse))]
[JsonSerializable(typeof(UploadKeyPackagesRequest))]
[JsonSerializable(typeof(KeyPackageCountResponse))]
[JsonSerializable(typeof(ClaimKeyPackagesResponse))]
[JsonSerializable(typeof(CreateGroupRequest))]
[JsonSerializable(typeof(GroupResponse))]
[JsonSerializable(typeof(SendRequest))]
[JsonSerializable(typeof(SealedSendRequest))]
[JsonSerializable(typeof(SendResponse))]
[JsonSerializable(typeof(MailboxEntry))]
[JsonSerializable(typeof(MailboxResponse))]
[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(ProblemBody))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
