// RFC 9420 §6.3 (PrivateMessage) and §9 (secret tree): protecting and unprotecting application data.
using BenchmarkDotNet.Attributes;
using Parley.Mls.Codec;
using Parley.Mls.Group;

namespace Parley.Mls.Bench;

/// <summary>One application message end to end: the sender encrypts and encodes it, the receiver decodes
/// and decrypts it. Both move along their sender ratchet, as in a conversation.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
[MedianColumn, MinColumn, MaxColumn]
public class ApplicationMessageBenchmarks
{
    private BenchGroup _group = null!;
    private MlsGroup _receiver = null!;
    private byte[] _payload = null!;

    [Params(2, 1024)]
    public int Members { get; set; }

    [Params(100, 1 << 20)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _group = BenchGroup.Get(Members);
        _receiver = _group.RestoreReceiver();
        _payload = new byte[PayloadBytes];
        Array.Fill(_payload, (byte)7);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _receiver.Dispose();
        _group.Dispose();
    }

    [Benchmark]
    public int ProtectUnprotect()
    {
        byte[] wire = _group.Committer.EncryptApplicationMessage(_payload).ToBytes();
        return ((ApplicationMessage)_receiver.ProcessMessage(wire)).Data.Length;
    }
}
