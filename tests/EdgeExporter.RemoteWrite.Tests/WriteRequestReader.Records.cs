namespace EdgeExporter.RemoteWrite.Tests;

/// <summary>The queue's records, apart from the decoder so that the end-to-end tests can link the decoder alone.</summary>
public static partial class WriteRequestReader
{
    public static List<DecodedSeries> DecodeRecord(byte[] record)
    {
        Assert.True(BatchRecord.TryRead(record, out _, out _, out ReadOnlySpan<byte> body));
        return DecodeSnappy(body.ToArray());
    }
}
