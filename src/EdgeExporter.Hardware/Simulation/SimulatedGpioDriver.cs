using System.Device.Gpio;
using System.Diagnostics;

namespace EdgeExporter.Hardware.Simulation;

/// <summary>
/// A GPIO chip whose input lines carry simulated signals, behind the same <see cref="GpioDriver"/>
/// API as <see cref="Gpio.GpioChardevDriver"/>: a pulse train with contact bounce (an S0 output or a
/// reed switch: each pulse is a falling edge, two bounce edges within a millisecond, and a rising
/// edge when the pulse ends) or a slow square wave (a door contact). Edges arrive in real time, so
/// the pulse counter's thread and debounce run exactly as on a board.
/// </summary>
public sealed class SimulatedGpioDriver : GpioDriver
{
    private readonly Dictionary<int, SimulatedLine> _lines = [];
    private readonly long _start = Stopwatch.GetTimestamp();

    public SimulatedGpioDriver(int lineCount = 64, FaultSource? faults = null)
    {
        LineCount = lineCount;
        Faults = faults ?? new FaultSource();
    }

    public int LineCount { get; }

    public FaultSource Faults { get; }

    protected override int PinCount => LineCount;

    /// <summary>Puts pulses on a line: <paramref name="perSecond"/> pulses, each with contact bounce if asked.</summary>
    public void AddPulseTrain(int line, double perSecond, bool bounce = true) =>
        _lines[line] = new SimulatedLine(SignalKind.Pulses, perSecond, bounce);

    /// <summary>Puts a square wave on a line: the level changes every half <paramref name="period"/>.</summary>
    public void AddSquareWave(int line, TimeSpan period) =>
        _lines[line] = new SimulatedLine(SignalKind.Square, 1 / period.TotalSeconds, false);

    protected override void OpenPin(int pinNumber)
    {
        ThrowIfDisconnected();
        _lines.TryAdd(pinNumber, new SimulatedLine(SignalKind.Constant, 0, false));
    }

    protected override void ClosePin(int pinNumber)
    {
    }

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        ThrowIfDisconnected();
        if (!IsPinModeSupported(pinNumber, mode))
        {
            throw new NotSupportedException("simulated lines are inputs");
        }
    }

    protected override PinMode GetPinMode(int pinNumber) => PinMode.InputPullUp;

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) =>
        mode is PinMode.Input or PinMode.InputPullUp or PinMode.InputPullDown;

    protected override PinValue Read(int pinNumber)
    {
        ThrowIfDisconnected();
        return Line(pinNumber).LevelAt(Now()) ? PinValue.High : PinValue.Low;
    }

    protected override void Write(int pinNumber, PinValue value) => throw new NotSupportedException("simulated lines are inputs");

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        SimulatedLine line = Line(pinNumber);
        while (!cancellationToken.IsCancellationRequested)
        {
            ThrowIfDisconnected();
            double now = Now();
            (double at, bool rising) = line.NextEdgeAfter(now);
            double wait = Math.Min(at - now, 0.2);
            if (wait > 0)
            {
                cancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(wait));
                continue;
            }

            line.Consumed = at;
            PinEventTypes type = rising ? PinEventTypes.Rising : PinEventTypes.Falling;
            if ((eventTypes & type) != 0)
            {
                return new WaitForEventResult { EventTypes = type, TimedOut = false };
            }
        }

        return new WaitForEventResult { EventTypes = PinEventTypes.None, TimedOut = true };
    }

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) =>
        throw new NotSupportedException("use WaitForEvent");

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) =>
        throw new NotSupportedException("use WaitForEvent");

    private double Now() => Stopwatch.GetElapsedTime(_start).TotalSeconds;

    private SimulatedLine Line(int pin) =>
        _lines.TryGetValue(pin, out SimulatedLine? line) ? line : throw new InvalidOperationException($"line {pin} is not open");

    private void ThrowIfDisconnected()
    {
        if (Faults.Current == SimulatedFault.Disconnect)
        {
            throw new IOException("Error 19 (No such device) reading a simulated GPIO line.");
        }
    }

    private enum SignalKind
    {
        Constant,
        Pulses,
        Square,
    }

    /// <summary>A line's level over time (seconds since the driver started); idle high, as with a pull-up.</summary>
    private sealed class SimulatedLine(SignalKind kind, double frequency, bool bounce)
    {
        private const double BounceStep = 0.0003;

        /// <summary>The time of the last edge handed out (edges are handed out once, in order).</summary>
        public double Consumed { get; set; } = -1;

        public bool LevelAt(double t)
        {
            if (kind == SignalKind.Constant)
            {
                return true;
            }

            double period = 1 / frequency;
            double into = t % period;
            return kind == SignalKind.Square ? into >= period / 2 : into >= PulseWidth(period);
        }

        /// <summary>The first edge after the last one handed out (edges before the first wait are skipped).</summary>
        public (double At, bool Rising) NextEdgeAfter(double now)
        {
            if (Consumed < 0)
            {
                Consumed = now;
            }

            if (kind == SignalKind.Constant)
            {
                return (double.PositiveInfinity, false);
            }

            double period = 1 / frequency;
            double from = Math.Max(Consumed, 0);
            long k = (long)Math.Floor(from / period);
            Span<double> times = stackalloc double[4];
            Span<bool> rising = stackalloc bool[4];
            for (; ; k++)
            {
                double start = k * period;
                int n = 0;
                if (kind == SignalKind.Square)
                {
                    times[n] = start + (period / 2);
                    rising[n++] = true;
                    times[n] = start + period;
                    rising[n++] = false;
                }
                else
                {
                    times[n] = start;
                    rising[n++] = false;
                    if (bounce)
                    {
                        times[n] = start + BounceStep;
                        rising[n++] = true;
                        times[n] = start + (2 * BounceStep);
                        rising[n++] = false;
                    }

                    times[n] = start + PulseWidth(period);
                    rising[n++] = true;
                }

                for (int i = 0; i < n; i++)
                {
                    if (times[i] > Consumed)
                    {
                        return (times[i], rising[i]);
                    }
                }
            }
        }

        private static double PulseWidth(double period) => Math.Min(0.03, period / 2);
    }
}
