// RFC 9420 §8.4 (pre-shared keys): looking up each PSK a Commit or Welcome names and chaining them
// into psk_secret; §8.6 and §11.2-§11.3 (resumption PSKs of usage reinit and branch).
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;

namespace Parley.Mls.Group;

/// <summary>Resolves PreSharedKeyIDs to their secrets and computes psk_secret.</summary>
internal static class PskResolution
{
    /// <summary>Computes psk_secret for <paramref name="psks"/> in order. External PSKs come from the
    /// options' store; resumption PSKs of <paramref name="state"/>'s group from its history, others'
    /// from the store; a reinit or branch PSK only from the group of <paramref name="link"/>. A missing
    /// PSK throws <see cref="MlsProtocolException"/>.</summary>
    public static byte[] ComputePskSecret(CipherSuite suite, IReadOnlyList<PreSharedKeyId> psks, GroupState? state, MlsGroupOptions options,
        ResumptionLink? link = null)
    {
        if (psks.Count == 0)
        {
            return EpochKeySchedule.ZeroSecret(suite);
        }
        var inputs = new List<(byte[] EncodedPskId, byte[] Psk)>(psks.Count);
        try
        {
            foreach (var id in psks)
            {
                inputs.Add((id.ToBytes(), Resolve(id, state, options, link)));
            }
            return PskSecret.Compute(suite, inputs);
        }
        finally
        {
            foreach (var (_, psk) in inputs)
            {
                CryptographicOperations.ZeroMemory(psk);
            }
        }
    }

    // Returns a copy the caller wipes.
    private static byte[] Resolve(PreSharedKeyId id, GroupState? state, MlsGroupOptions options, ResumptionLink? link)
    {
        if (id.Type == PskType.External)
        {
            return options.PskStore?.GetExternalPsk(id.PskId!)
                ?? throw new MlsProtocolException(MlsError.PskUnavailable, "An external PSK named by the message is not available.");
        }
        if (id.Usage != ResumptionPskUsage.Application)
        {
            // RFC 9420 §11.2, §11.3: such a PSK MUST NOT be used in other contexts.
            if (link is null || link.Usage != id.Usage || !id.PskGroupId!.AsSpan().SequenceEqual(link.Source.GroupId))
            {
                throw new MlsProtocolException(MlsError.PskUsageInvalid, $"A resumption PSK with usage {id.Usage} is only valid when reinitializing or branching that group.");
            }
            return link.Source.FindResumptionPsk(id.PskEpoch)?.ToArray()
                ?? throw new MlsProtocolException(MlsError.PskUnavailable, $"The resumption PSK of the old group's epoch {id.PskEpoch} is no longer held.");
        }
        if (state is not null && id.PskGroupId!.AsSpan().SequenceEqual(state.GroupId))
        {
            return state.FindResumptionPsk(id.PskEpoch)?.ToArray()
                ?? throw new MlsProtocolException(MlsError.PskUnavailable, $"The resumption PSK of epoch {id.PskEpoch} is no longer held.");
        }
        return options.PskStore?.GetResumptionPsk(id.PskGroupId!, id.PskEpoch)
            ?? throw new MlsProtocolException(MlsError.PskUnavailable, $"The resumption PSK of another group's epoch {id.PskEpoch} is not available.");
    }
}
