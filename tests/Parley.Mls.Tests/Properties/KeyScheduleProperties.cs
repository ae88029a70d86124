// RFC 9420 §8 (key schedule): the epoch's secrets are a deterministic function of init_secret,
// commit_secret, psk_secret and the GroupContext, each secret depends on every input it is derived
// from, and the secrets of one epoch are pairwise distinct.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Parley.Mls.Crypto;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Xunit;

namespace Parley.Mls.Tests.Properties;

public sealed class KeyScheduleProperties
{
    /// <summary>One input of the key schedule to change.</summary>
    public enum Input { InitSecret, CommitSecret, PskSecret, GroupId, Epoch, TreeHash, TranscriptHash, Extensions }

    private sealed record Inputs(CipherSuite Suite, byte[] Init, byte[] Commit, byte[] Psk, GroupContext Context);

    private static readonly Gen<Inputs> AnyInputs =
        from id in Gen.Elements(CipherSuite.Supported.ToArray())
        let suite = CipherSuite.Get(id)
        from init in Gen.ArrayOf(MlsGen.Byte, suite.HashLength)
        from commit in Gen.ArrayOf(MlsGen.Byte, suite.HashLength)
        from psk in Gen.ArrayOf(MlsGen.Byte, suite.HashLength)
        from context in MlsGen.GroupContext
        select new Inputs(suite, init, commit, psk, context with { CipherSuite = id });

    private static readonly Gen<(Inputs Inputs, Input Changed, int Position)> InputsAndChange =
        from inputs in AnyInputs
        from changed in Gen.Elements(Enum.GetValues<Input>())
        from position in Gen.Choose(0, int.MaxValue)
        select (inputs, changed, position);

    private static Dictionary<string, byte[]> Derive(Inputs i)
    {
        using var secrets = EpochKeySchedule.Advance(i.Suite, i.Init, i.Commit, i.Psk, i.Context);
        return new Dictionary<string, byte[]>
        {
            ["joiner"] = secrets.JoinerSecret.ToArray(),
            ["welcome"] = secrets.WelcomeSecret.ToArray(),
            ["sender data"] = secrets.SenderDataSecret.ToArray(),
            ["encryption"] = secrets.EncryptionSecret.ToArray(),
            ["exporter"] = secrets.ExporterSecret.ToArray(),
            ["external"] = secrets.ExternalSecret.ToArray(),
            ["confirm"] = secrets.ConfirmationKey.ToArray(),
            ["membership"] = secrets.MembershipKey.ToArray(),
            ["resumption"] = secrets.ResumptionPsk.ToArray(),
            ["authentication"] = secrets.EpochAuthenticator.ToArray(),
            ["init"] = secrets.InitSecret.ToArray(),
            ["export"] = secrets.Export("property", "context"u8, 32),
        };
    }

    private static byte[] Flip(byte[] bytes, int position)
    {
        byte[] changed = (byte[])bytes.Clone();
        changed[position % changed.Length] ^= 0x01;
        return changed;
    }

    private static byte[] Lengthen(byte[] bytes, int position)
        => bytes.Length == 0 ? [(byte)position] : Flip(bytes, position);

    private static Inputs Change(Inputs i, Input input, int position) => input switch
    {
        Input.InitSecret => i with { Init = Flip(i.Init, position) },
        Input.CommitSecret => i with { Commit = Flip(i.Commit, position) },
        Input.PskSecret => i with { Psk = Flip(i.Psk, position) },
        Input.GroupId => i with { Context = i.Context with { GroupId = Lengthen(i.Context.GroupId, position) } },
        Input.Epoch => i with { Context = i.Context with { Epoch = i.Context.Epoch + 1 } },
        Input.TreeHash => i with { Context = i.Context with { TreeHash = Lengthen(i.Context.TreeHash, position) } },
        Input.TranscriptHash => i with { Context = i.Context with { ConfirmedTranscriptHash = Lengthen(i.Context.ConfirmedTranscriptHash, position) } },
        _ => i with
        {
            Context = i.Context with
            {
                Extensions = i.Context.Extensions.Count == 0
                    ? [new Extension((ushort)position, [])]
                    : [.. i.Context.Extensions.Skip(1), i.Context.Extensions[0] with { Data = Lengthen(i.Context.Extensions[0].Data, position) }],
            },
        },
    };

    [Property(MaxTest = 200)]
    public Property The_key_schedule_is_deterministic_and_its_secrets_pairwise_distinct()
        => Prop.ForAll(AnyInputs.ToArbitrary(), inputs =>
        {
            var first = Derive(inputs);
            var second = Derive(inputs);
            foreach (var (name, secret) in first)
            {
                Assert.Equal(secret, second[name]);
            }
            Assert.Equal(first.Count, first.Values.Select(Convert.ToHexString).Distinct().Count());
        });

    [Property(MaxTest = 300)]
    public Property Every_secret_changes_when_any_input_it_is_derived_from_changes()
        => Prop.ForAll(InputsAndChange.ToArbitrary(), t =>
        {
            var (inputs, input, position) = t;
            var before = Derive(inputs);
            var after = Derive(Change(inputs, input, position));
            foreach (var (name, secret) in before)
            {
                // joiner_secret is derived before the psk_secret is mixed in (RFC 9420 §8): only it may stay.
                if (name == "joiner" && input == Input.PskSecret)
                {
                    Assert.Equal(secret, after[name]);
                }
                else
                {
                    Assert.NotEqual(secret, after[name]);
                }
            }
        });
}
