using System.Net.Sockets;
using System.Text;

namespace EdgeExporter.Tests.Shared;

/// <summary>HTTP/1.1 by hand over one socket, so tests control keep-alive, pipelining and bytes on the wire.</summary>
public static class RawHttp
{
    /// <summary>Reads exactly one response (head plus Content-Length body) from a kept-alive connection.</summary>
    public static (string Head, string Body) ReadResponse(Socket socket, bool head = false)
    {
        (string headText, byte[] body) = ReadResponseBytes(socket, head);
        return (headText, Encoding.UTF8.GetString(body));
    }

    /// <summary>As <see cref="ReadResponse"/>, with the body as bytes (a gzip body, say).</summary>
    public static (string Head, byte[] Body) ReadResponseBytes(Socket socket, bool head = false)
    {
        var data = new List<byte>();
        var one = new byte[1];
        while (!EndsWithBlankLine(data))
        {
            if (socket.Receive(one) != 1)
            {
                throw new IOException("connection closed inside a response head");
            }

            data.Add(one[0]);
        }

        string headText = Encoding.ASCII.GetString([.. data]);
        int length = int.Parse(headText.Split("\r\n").First(l => l.StartsWith("Content-Length: ", StringComparison.Ordinal))[16..]);
        var body = new byte[head ? 0 : length];
        int read = 0;
        while (read < body.Length)
        {
            int n = socket.Receive(body, read, body.Length - read, SocketFlags.None);
            if (n == 0)
            {
                throw new IOException("connection closed inside a response body");
            }

            read += n;
        }

        return (headText, body);
    }

    private static bool EndsWithBlankLine(List<byte> data) =>
        data.Count >= 4 && data[^4] == '\r' && data[^3] == '\n' && data[^2] == '\r' && data[^1] == '\n';
}
