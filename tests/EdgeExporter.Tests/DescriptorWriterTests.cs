using System.IO.Pipes;
using System.Text;

namespace EdgeExporter.Tests;

public sealed class DescriptorWriterTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1364)] // the longest text taken in one piece
    [InlineData(1365)]
    [InlineData(4096)]
    [InlineData(50_000)] // many chunks, surrogate pairs across their edges
    public void Text_reaches_the_descriptor_as_utf8_byte_for_byte(int length)
    {
        var text = new StringBuilder(length);
        string[] pieces = ["a", "é", "€", "😀", "\n", "\""];
        for (int i = 0; text.Length < length; i++)
        {
            text.Append(pieces[i % pieces.Length]);
        }

        string value = text.ToString(0, Math.Min(length, text.Length));
        if (value.Length > 0 && char.IsHighSurrogate(value[^1]))
        {
            value = value[..^1];
        }

        Assert.Equal(Encoding.UTF8.GetBytes(value), Capture(writer => writer.Write(value)));
        Assert.Equal(Encoding.UTF8.GetBytes(value + "\n"), Capture(writer => writer.WriteLine(value)));
    }

    [Fact]
    public void A_reader_that_went_away_does_not_throw()
    {
        using var writeEnd = new AnonymousPipeServerStream(PipeDirection.Out);
        writeEnd.DisposeLocalCopyOfClientHandle(); // the only read end is gone: write(2) fails with EPIPE
        var writer = new DescriptorWriter((int)writeEnd.SafePipeHandle.DangerousGetHandle());
        writer.WriteLine("nobody reads this");
        writer.Write(new string('x', 10_000));
    }

    private static byte[] Capture(Action<DescriptorWriter> write)
    {
        using var server = new AnonymousPipeServerStream(PipeDirection.In);
        using var output = new MemoryStream();
        Task reading = server.CopyToAsync(output);
        using (AnonymousPipeClientStream client = new(PipeDirection.Out, server.ClientSafePipeHandle))
        {
            write(new DescriptorWriter((int)client.SafePipeHandle.DangerousGetHandle()));
        }

        server.DisposeLocalCopyOfClientHandle();
        reading.Wait(TimeSpan.FromSeconds(10));
        return output.ToArray();
    }
}
