using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Delivery;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.KeyPackages;
using Parley.Server.Mailboxes;
using Parley.Server.Operations;

namespace Parley.Server.Http;

/// <summary>Source-generated JSON for every request, response and frame (camelCase; byte arrays as base64).</summary>
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
[JsonSerializable(typeof(SendResponse))]
[JsonSerializable(typeof(MailboxEntry))]
[JsonSerializable(typeof(MailboxResponse))]
[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(CreateBlobRequest))]
[JsonSerializable(typeof(CreateBlobResponse))]
[JsonSerializable(typeof(BlobStatusResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
public sealed partial class ServerJsonContext : JsonSerializerContext;
