using System.Diagnostics;
using EdgeExporter.Hardware.Net;

namespace EdgeExporter.Collectors.Serial;

/// <summary>
/// A Modbus gateway at host:port (an RS-485 line on Ethernet, or a device that speaks Modbus TCP
/// itself), reached over one TCP connection shared by every slave configured behind it, one request
/// at a time. The connection is opened on first use; when it is refused, reset or closed by the
/// gateway it is dropped and the next attempt waits its <see cref="ReconnectBackoff"/> (polls in
/// between fail at once as <see cref="ModbusStatus.Disconnected"/>, touching nothing); one the
/// gateway closed while idle is replaced before the request, without a failure. A slave that
/// does not answer is a timeout for that slave only: the connection stays, and the next slave's
/// request goes out on it. Every wait is bounded by the request's timeout: the connect, and each read.
/// </summary>
public sealed class ModbusGateway : IModbusLink, IDisposable
{
    private readonly ModbusTcpMaster _tcp = new();
    private readonly ModbusRtuMaster _rtu = new(TimeSpan.Zero);
    private readonly ReconnectBackoff _backoff;
    private TcpStreamChannel? _channel;
    private long _retryAt;
    private long _lastAnswer;
    private string? _lastFailure;
    private string? _problem;

    public ModbusGateway(string host, int port, ModbusFraming framing, ReconnectBackoff? backoff = null)
    {
        Host = host;
        Port = port;
        Framing = framing;
        Name = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
        _backoff = backoff ?? new ReconnectBackoff();
    }

    public string Host { get; }

    public int Port { get; }

    public ModbusFraming Framing { get; }

    public string Name { get; }

    public object Gate { get; } = new();

    /// <summary>Connections opened so far (one, while the gateway stays up).</summary>
    public int Connections { get; private set; }

    public bool IsConnected => _channel is not null;

    /// <summary>Called after a connection was opened, for the log.</summary>
    public Action<ModbusGateway, TcpStreamChannel>? Connected { get; set; }

    /// <summary>Called after a connection was lost or could not be opened, with why, for the log.</summary>
    public Action<ModbusGateway, string>? Lost { get; set; }

    public byte ExceptionCode => Framing == ModbusFraming.Tcp ? _tcp.ExceptionCode : _rtu.ExceptionCode;

    public string? Problem => _problem ?? (Framing == ModbusFraming.Tcp ? _tcp.Problem : _rtu.Problem);

    public ReadOnlySpan<byte> Data => Framing == ModbusFraming.Tcp ? _tcp.Data : _rtu.Data;

    public ModbusStatus Read(byte slave, ModbusTable table, ushort start, ushort count, TimeSpan timeout, TimeSpan minimumGap)
    {
        _problem = null;
        if (_channel is { PeerClosed: true })
        {
            // Closed while idle (the gateway restarted between polls): open a new one now, rather
            // than fail this poll on the old one.
            Close();
            Lost?.Invoke(this, "the gateway closed the idle connection");
        }

        if (_channel is null)
        {
            long wait = _retryAt - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                _problem = $"gateway {Name}: {_lastFailure}; next attempt in {(wait * 1000) / Stopwatch.Frequency} ms";
                return ModbusStatus.Disconnected;
            }

            try
            {
                _channel = TcpStreamChannel.Connect(Host, Port, timeout);
            }
            catch (IOException error)
            {
                return Fail(error.Message);
            }

            Connections++;
            _tcp.Connected();
            Connected?.Invoke(this, _channel);
        }

        ModbusStatus status;
        try
        {
            if (Framing == ModbusFraming.Tcp)
            {
                Pause(minimumGap); // a slave whose manual asks for a pause; the gateway keeps its line's silence itself
                status = _tcp.Read(_channel, slave, table, start, count, timeout);
                _lastAnswer = Stopwatch.GetTimestamp();
            }
            else
            {
                status = _rtu.Read(_channel, slave, table, start, count, timeout, minimumGap);
            }
        }
        catch (IOException error)
        {
            return Fail(error.Message);
        }

        if (status is ModbusStatus.Ok or ModbusStatus.Exception)
        {
            _backoff.Reset(); // the gateway answers: a later failure starts again at the shortest wait
        }

        if (Framing == ModbusFraming.Tcp && _tcp.StreamLost)
        {
            Close(); // no frame boundary left in the stream; the next request opens a new connection at once
        }

        return status;
    }

    public void Dispose() => Close();

    private ModbusStatus Fail(string why)
    {
        Close();
        TimeSpan wait = _backoff.Next();
        _retryAt = Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency);
        _lastFailure = why;
        _problem = $"gateway {Name}: {why}";
        Lost?.Invoke(this, why);
        return ModbusStatus.Disconnected;
    }

    private void Pause(TimeSpan gap)
    {
        long due = _lastAnswer + (long)(gap.TotalSeconds * Stopwatch.Frequency);
        for (long wait = due - Stopwatch.GetTimestamp(); gap > TimeSpan.Zero && wait > 0; wait = due - Stopwatch.GetTimestamp())
        {
            Thread.Sleep((int)Math.Ceiling(wait * 1000.0 / Stopwatch.Frequency));
        }
    }

    private void Close()
    {
        _channel?.Dispose();
        _channel = null;
    }
}
