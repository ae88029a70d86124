// Failures are asserted by the check that failed (MlsProtocolException.Code), never by the words of the message.
using System.Runtime.CompilerServices;
using Xunit;

namespace Parley.Mls.Tests;

internal static class MlsAssert
{
    /// <summary>Asserts that <paramref name="testCode"/> throws <see cref="MlsProtocolException"/> with
    /// <paramref name="code"/>, and returns the exception.</summary>
    public static MlsProtocolException Fails(MlsError code, Func<object?> testCode,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => Check(code, Assert.Throws<MlsProtocolException>(testCode), file, line);

    /// <inheritdoc cref="Fails(MlsError, Func{object?}, string, int)"/>
    public static MlsProtocolException Fails(MlsError code, Action testCode,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => Check(code, Assert.Throws<MlsProtocolException>(testCode), file, line);

    private static MlsProtocolException Check(MlsError code, MlsProtocolException e, string file, int line)
    {
        Assert.True(code == e.Code, $"{Path.GetFileName(file)}:{line}: expected {code}, got {e.Code} ({e.Message})");
        return e;
    }
}
