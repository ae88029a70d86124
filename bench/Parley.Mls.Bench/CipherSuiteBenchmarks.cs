using BenchmarkDotNet.Attributes;
using Parley.Mls.Crypto;

namespace Parley.Mls.Bench;

/// <summary>The primitives every MLS operation is built from, per cipher suite.</summary>
[MemoryDiagnoser]
public class CipherSuiteBenchmarks
{
    private CipherSuite _suite = null!;
    private SignatureKeyPair _signer = null!;
    private HpkeKeyPair _hpke = null!;
    private byte[] _message = null!;
    private byte[] _signature = null!;
    private HpkeCiphertext _sealed = null!;

    [Params((ushort)1, (ushort)2, (ushort)3, (ushort)7)]
    public ushort Suite { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _suite = CipherSuite.Get(Suite);
        _signer = _suite.GenerateSignatureKeyPair();
        _hpke = _suite.Hpke.GenerateKeyPair();
        _message = new byte[100];
        _signature = _suite.SignWithLabel(_signer.PrivateKey, "FramedContentTBS", _message);
        _sealed = _suite.EncryptWithLabel(_hpke.PublicKey, "UpdatePathNode", _message, _message);
    }

    [Benchmark]
    public byte[] SignWithLabel() => _suite.SignWithLabel(_signer.PrivateKey, "FramedContentTBS", _message);

    [Benchmark]
    public bool VerifyWithLabel() => _suite.VerifyWithLabel(_signer.PublicKey, "FramedContentTBS", _message, _signature);

    [Benchmark]
    public HpkeCiphertext EncryptWithLabel() => _suite.EncryptWithLabel(_hpke.PublicKey, "UpdatePathNode", _message, _message);

    [Benchmark]
    public byte[] DecryptWithLabel() => _suite.DecryptWithLabel(_hpke.PrivateKey, "UpdatePathNode", _message, _sealed.KemOutput, _sealed.Ciphertext);
}
