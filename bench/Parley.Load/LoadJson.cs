// JSON for the delivery WebSocket frames and the reports (source-generated, as everywhere in Parley).
using System.Text.Json.Serialization;
using Parley.Client.Network;

namespace Parley.Load;

/// <summary>JSON types the load generator reads and writes.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(MailboxEntry))]
[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(LoadReport))]
[JsonSerializable(typeof(RelayStep))]
[JsonSerializable(typeof(List<RelayStep>))]
[JsonSerializable(typeof(IdleReport))]
[JsonSerializable(typeof(FanoutReport))]
internal sealed partial class LoadJson : JsonSerializerContext;
