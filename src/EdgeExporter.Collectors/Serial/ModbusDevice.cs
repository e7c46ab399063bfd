using EdgeExporter.Collectors.Devices;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Serial;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Serial;

/// <summary>How a Modbus slave is read.</summary>
/// <param name="Slave">The unit id, 1 to 247.</param>
/// <param name="ResponseTimeout">How long to wait for each answer.</param>
/// <param name="Retries">Repeats of a request that got no valid answer (timeout, CRC, framing, a busy slave).</param>
/// <param name="MaxRegisters">Registers per request, at most 125.</param>
/// <param name="MaxGap">Unused registers a request may read to join two values.</param>
/// <param name="RequestDelay">
/// The least time the slave needs between the end of one frame on the line and its next request,
/// when its manual asks for more than the 3.5 characters of silence Modbus RTU keeps anyway.
/// </param>
public sealed record ModbusOptions(byte Slave, TimeSpan ResponseTimeout, int Retries = 1, int MaxRegisters = 125, int MaxGap = 0, TimeSpan RequestDelay = default)
{
    /// <summary>The longest a poll can take: every request, every retry, each waiting its delay, its full timeout and the line time.</summary>
    public TimeSpan WorstCase(SerialSettings serial, int requests) => WorstCase(serial.LineTime(ModbusRtuMaster.MaxFrame), requests);

    /// <summary>
    /// The same behind a gateway, where each attempt may first have to connect (bounded by the
    /// response timeout too) and the gateway's own line time is part of its answer's.
    /// </summary>
    public TimeSpan WorstCaseOverTcp(int requests) => WorstCase(ResponseTimeout, requests);

    private TimeSpan WorstCase(TimeSpan perAttempt, int requests) =>
        (RequestDelay + ResponseTimeout + perAttempt + TimeSpan.FromMilliseconds(60)) * requests * (Retries + 1);
}

/// <summary>
/// A Modbus slave read from a register map, on a serial line (RTU) or behind a TCP gateway (Modbus
/// TCP, RTU over TCP): the transport is the <see cref="IModbusLink"/>, everything else is the same: each poll sends the planned requests (contiguous
/// values batched), decodes the values with their type, byte order, scale and offset, and writes
/// them as gauges or counters, all of them when every request of the poll has been answered and
/// none when one fails (<see cref="PolledDevice"/>: one poll, one picture). Slaves on one port or one gateway share its link and
/// are polled in turn. A failed request is retried; every failed attempt is counted by kind, exception
/// responses also by their code.
/// </summary>
public sealed class ModbusDevice : PolledDevice
{
    private static readonly byte[] ExceptionCodes = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x08, 0x0A, 0x0B];

    private readonly IModbusLink _link;
    private readonly ModbusOptions _options;
    private readonly IReadOnlyList<ModbusBatch> _batches;
    private readonly Series[][] _values;
    private readonly Series[] _exceptions;
    private string? _problem;

    public ModbusDevice(DeviceMetrics metrics, DeviceIdentity identity, PollSettings settings, IModbusLink link, ModbusOptions options, IReadOnlyList<ModbusRegister> registers)
        : base(metrics, identity, settings with { Retries = 0 }, SerialErrorKinds)
    {
        _link = link;
        _options = options;
        _batches = ModbusBatch.Plan(registers, options.MaxRegisters, options.MaxGap);
        _values = new Series[_batches.Count][];
        for (int b = 0; b < _batches.Count; b++)
        {
            IReadOnlyList<ModbusRegister> batch = _batches[b].Registers;
            _values[b] = new Series[batch.Count];
            for (int r = 0; r < batch.Count; r++)
            {
                _values[b][r] = AddReading(metrics.Register(batch[r]), batch[r].Labels);
            }
        }
        MetricFamily exceptions = metrics.ModbusExceptions;
        _exceptions = Array.ConvertAll(ExceptionCodes, code => exceptions.AddSeries(identity.Name, $"0x{code:X2}", ModbusPdu.ExceptionName(code).Replace(' ', '_')));
        foreach (Series series in _exceptions)
        {
            series.Hide(); // shown from the first exception of that code on
        }
    }

    public IReadOnlyList<ModbusBatch> Batches => _batches;

    public override string? SharedChannel => _link.Name;

    /// <summary>What was wrong with the last failed request, for the log.</summary>
    public override string? Problem => _problem;

    protected override DeviceError Read(long validUntil)
    {
        lock (_link.Gate)
        {
            for (int b = 0; b < _batches.Count; b++)
            {
                ModbusBatch batch = _batches[b];
                DeviceError error = Request(batch);
                if (error != DeviceError.None)
                {
                    return error;
                }

                // Staged: the poll's values are shown together once every block has answered (a meter
                // that is not ready reports NaN, which hides that value).
                ReadOnlySpan<byte> data = _link.Data;
                Series[] values = _values[b];
                for (int i = 0; i < values.Length; i++)
                {
                    Stage(values[i], batch.Registers[i].Decode(data, batch.Start));
                }
            }
        }

        return DeviceError.None;
    }

    private DeviceError Request(ModbusBatch batch)
    {
        for (int attempt = 0; ; attempt++)
        {
            DeviceError error;
            try
            {
                ModbusStatus status = _link.Read(_options.Slave, batch.Table, batch.Start, batch.Count, _options.ResponseTimeout, _options.RequestDelay);
                error = status switch
                {
                    ModbusStatus.Ok => DeviceError.None,
                    ModbusStatus.Timeout => DeviceError.Timeout,
                    ModbusStatus.Crc => DeviceError.Crc,
                    ModbusStatus.Exception => DeviceError.Exception,
                    ModbusStatus.Disconnected => DeviceError.Disconnected,
                    _ => DeviceError.Framing,
                };
                if (status == ModbusStatus.Exception)
                {
                    int code = Array.IndexOf(ExceptionCodes, _link.ExceptionCode);
                    if (code >= 0)
                    {
                        _exceptions[code].Increment();
                    }
                }

                if (error != DeviceError.None)
                {
                    _problem = _link.Problem;
                }
            }
            catch (IOException failure)
            {
                // The port failed or is gone (the link has closed it, so that a later poll opens it again).
                _problem = failure.Message;
                throw;
            }

            // Repeat what a repeat can fix; an exception is the slave's considered answer, except "busy".
            bool retry = error is DeviceError.Timeout or DeviceError.Crc or DeviceError.Framing
                || (error == DeviceError.Exception && _link.ExceptionCode is 0x05 or 0x06);
            if (error == DeviceError.None || !retry || attempt >= _options.Retries)
            {
                return error;
            }

            CountError(error);
        }
    }
}
