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
[JsonSerializable(typeof(SealedSendRequest))]
[JsonSerializable(typeof(MailboxEntry))]
[JsonSerializable(typeof(MailboxResponse))]
[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(CreateBlobRequest))]
[JsonSerializable(typeof(CreateBlobResponse))]
[JsonSerializable(typeof(BlobStatusResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(Parley.Server.Blocking.BlockListResponse))]
[JsonSerializable(typeof(Parley.Server.Reports.ReportRequest))]
[JsonSerializable(typeof(Parley.Server.Reports.ReportResponse))]
[JsonSerializable(typeof(Parley.Server.Moderation.ReportListResponse))]
[JsonSerializable(typeof(Parley.Server.Moderation.ReportDetails))]
[JsonSerializable(typeof(Parley.Server.Moderation.CloseReportRequest))]
[JsonSerializable(typeof(Parley.Server.Moderation.SuspendRequest))]
[JsonSerializable(typeof(Parley.Server.Moderation.AuditLogResponse))]
[JsonSerializable(typeof(Parley.Server.Channels.RegisterChannelRequest))]
[JsonSerializable(typeof(Parley.Server.Channels.ChannelResponse))]
[JsonSerializable(typeof(Parley.Server.Channels.CreateInviteRequest))]
[JsonSerializable(typeof(Parley.Server.Channels.InviteCreatedResponse))]
[JsonSerializable(typeof(Parley.Server.Channels.InviteListResponse))]
[JsonSerializable(typeof(Parley.Server.Channels.CreateJoinRequest))]
[JsonSerializable(typeof(Parley.Server.Channels.JoinRequestResponse))]
[JsonSerializable(typeof(Parley.Server.Channels.JoinRequestListResponse))]
[JsonSerializable(typeof(Parley.Server.Channels.ViewRequest))]
[JsonSerializable(typeof(Parley.Server.Channels.MoveToQueueRequest))]
[JsonSerializable(typeof(Parley.Server.Channels.ChannelGroupInfoResponse))]
[JsonSerializable(typeof(Parley.Server.Channels.ViewCountResponse))]
[JsonSerializable(typeof(Parley.Server.PublicChannels.CreatePublicChannelRequest))]
[JsonSerializable(typeof(Parley.Server.PublicChannels.PublicChannelResponse))]
[JsonSerializable(typeof(Parley.Server.PublicChannels.PublishRequest))]
[JsonSerializable(typeof(Parley.Server.PublicChannels.PublishResponse))]
[JsonSerializable(typeof(Parley.Server.PublicChannels.PublicPostsResponse))]
[JsonSerializable(typeof(Parley.Server.PublicChannels.AddPublicChannelAdminRequest))]
[JsonSerializable(typeof(Parley.Server.PublicChannels.TakedownRequest))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
public sealed partial class ServerJsonContext : JsonSerializerContext;
