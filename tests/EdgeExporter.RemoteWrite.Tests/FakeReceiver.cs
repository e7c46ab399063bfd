using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdgeExporter.RemoteWrite.Tests;

/// <summary>A request the fake receiver read: its head lines and its body.</summary>
public sealed record ReceivedRequest(string RequestLine, Dictionary<string, string> Headers, byte[] Body, int Connection);

/// <summary>
/// An HTTP/1.1 server on loopback that reads POSTs (Content-Length bodies) and answers each from a
/// script: the raw answer for request n, or null to hang (read the request, never answer). Counts
/// connections, so tests can see keep-alive.
/// </summary>
public sealed class FakeReceiver : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<int, string?> _answer;
    private readonly List<TcpClient> _clients = [];
    private readonly CancellationTokenSource _stop = new();
    private int _connections;

    public FakeReceiver(Func<int, string?> answer)
    {
        // Connections are served on the thread pool, and tests block pool threads (xunit runs them
        // there; answer scripts sleep). With the pool's minimum of one thread per core, a request
        // then waited for the pool to grow: 0.5-1 s seen on 2 cores, long enough to look like a
        // sender that did not send.
        ThreadPool.GetMinThreads(out int workers, out int completion);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), completion);
        _answer = answer;
        _listener.Start();
        _ = Task.Run(AcceptLoop);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public List<ReceivedRequest> Requests { get; } = [];

    /// <summary>When the answer to request n was handed to the socket (a Stopwatch timestamp); absent while it hangs or was never written.</summary>
    public ConcurrentDictionary<int, long> AnsweredAt { get; } = new();

    public int Connections => Volatile.Read(ref _connections);

    public static string Status(int code, string reason, string body = "", string extra = "") =>
        $"HTTP/1.1 {code} {reason}\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n{extra}\r\n{body}";

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients)
        {
            foreach (TcpClient client in _clients) client.Dispose();
        }
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            lock (_clients) _clients.Add(client);
            int connection = Interlocked.Increment(ref _connections);
            _ = Task.Run(() => Serve(client, connection));
        }
    }

    private async Task Serve(TcpClient client, int connection)
    {
        try
        {
            NetworkStream stream = client.GetStream();
            var pending = new List<byte>();
            var buffer = new byte[65536];
            while (true)
            {
                int headEnd;
                while ((headEnd = IndexOf(pending, "\r\n\r\n"u8.ToArray())) < 0)
                {
                    int n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0) return;
                    pending.AddRange(buffer.AsSpan(0, n).ToArray());
                }

                string[] lines = Encoding.ASCII.GetString(pending.GetRange(0, headEnd).ToArray()).Split("\r\n");
                var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (string line in lines.Skip(1))
                {
                    int colon = line.IndexOf(':');
                    headers[line[..colon]] = line[(colon + 1)..].Trim();
                }

                int length = int.Parse(headers["Content-Length"]);
                pending.RemoveRange(0, headEnd + 4);
                while (pending.Count < length)
                {
                    int n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0) return;
                    pending.AddRange(buffer.AsSpan(0, n).ToArray());
                }

                byte[] body = pending.GetRange(0, length).ToArray();
                pending.RemoveRange(0, length);
                int index;
                lock (Requests)
                {
                    Requests.Add(new ReceivedRequest(lines[0], headers, body, connection));
                    index = Requests.Count - 1;
                }

                string? answer = _answer(index);
                if (answer is null)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token); // hang
                }

                await stream.WriteAsync(Encoding.ASCII.GetBytes(answer!), _stop.Token);
                AnsweredAt[index] = Stopwatch.GetTimestamp();
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
    }

    private static int IndexOf(List<byte> data, byte[] pattern)
    {
        for (int i = 0; i + pattern.Length <= data.Count; i++)
        {
            int j = 0;
            while (j < pattern.Length && data[i + j] == pattern[j]) j++;
            if (j == pattern.Length) return i;
        }

        return -1;
    }
}
