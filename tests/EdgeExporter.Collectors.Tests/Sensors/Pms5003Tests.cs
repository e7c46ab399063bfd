using System.Diagnostics;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Sensors;
using EdgeExporter.Devices;
using EdgeExporter.Hardware.Serial;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Collectors.Tests.Sensors;

/// <summary>
/// Plantower PMS5003 data manual, Appendix I: frames found in a byte stream whatever precedes them,
/// check codes enforced, and the real driver and poller over an in-memory line and over a real
/// pseudo-terminal (socat) with the simulated sensor streaming on the other side.
/// </summary>
public class Pms5003Tests
{
    // Written by hand from Appendix I: PM1.0/2.5/10 5, 8, 10 µg/m³ (CF=1 and atmospheric), counts
    // 1089, 312, 56, 6, 2, 1 per 0.1 L, reserved 0x9700, check code 0x022F (the sum of the 30 bytes before it).
    private static readonly byte[] Frame =
    [
        0x42, 0x4D, 0x00, 0x1C, 0x00, 0x05, 0x00, 0x08, 0x00, 0x0A, 0x00, 0x05, 0x00, 0x08, 0x00, 0x0A,
        0x04, 0x41, 0x01, 0x38, 0x00, 0x38, 0x00, 0x06, 0x00, 0x02, 0x00, 0x01, 0x97, 0x00, 0x02, 0x2F,
    ];

    private const string Pm25 = "edge_particulate_matter_grams_per_cubic_meter{bus=\"ttyMaster\",device=\"p\",model=\"pms5003\",size=\"pm2.5\"}";
    private const string Up = "edge_device_up{device=\"p\",model=\"pms5003\"}";

    [Fact]
    public void A_frame_is_read_with_its_check_code_and_converted_to_base_units()
    {
        var frames = new Pms5003Frames();
        Assert.Equal(Pms5003Verdict.Frame, Feed(frames, Frame));
        Assert.Equal(0x022F, Pms5003Frames.Checksum(Frame));
        Assert.Equal(8, frames.Word(Pms5003.AtmosphericPm1 + 1));
        Assert.Equal(8e-6, Pms5003.ToGramsPerCubicMeter(frames.Word(Pms5003.AtmosphericPm1 + 1)), 15);
        Assert.Equal(10_890_000, Pms5003.ToPerCubicMeter(frames.Word(Pms5003.CountsBeyond03)));
        Assert.Equal(0, frames.Skipped);
    }

    [Fact]
    public void Garbage_and_false_starts_before_a_frame_are_skipped()
    {
        var frames = new Pms5003Frames();
        byte[] noise = [0x00, 0x42, 0x42, 0x4D, 0x00, 0x1D, 0x42, 0x4D, 0x42, 0x4D];
        Assert.Equal(Pms5003Verdict.None, Feed(frames, noise));
        // The last 0x42 0x4D of the noise is taken as a start; the frame's own start then breaks it
        // off, and the frame is found after all.
        Assert.Equal(Pms5003Verdict.Frame, Feed(frames, Frame));
        Assert.Equal(noise.Length, frames.Skipped);
    }

    [Fact]
    public void A_bad_check_code_is_reported_and_a_start_inside_the_broken_frame_is_not_lost()
    {
        var frames = new Pms5003Frames();
        byte[] cut = [.. Frame[..20], .. Frame]; // a frame cut off after 20 bytes, then a whole one
        var verdicts = new List<Pms5003Verdict>();
        foreach (byte b in cut)
        {
            Pms5003Verdict verdict = frames.Push(b);
            if (verdict != Pms5003Verdict.None)
            {
                verdicts.Add(verdict);
            }
        }

        Assert.Equal([Pms5003Verdict.BadChecksum, Pms5003Verdict.Frame], verdicts);
        Assert.Equal(0, frames.Skipped); // the broken frame's bytes count as the bad check code, not as garbage

        byte[] wrong = [.. Frame];
        wrong[^1] ^= 1;
        Assert.Equal(Pms5003Verdict.BadChecksum, Feed(new Pms5003Frames(), wrong));
    }

    [Fact]
    public void The_driver_asks_for_active_mode_and_reads_the_next_frame_from_the_simulated_line()
    {
        var faults = new FaultSource();
        var sensor = new SimulatedPms5003(_ => 20, faults: faults);
        var ports = new SimulatedSerialChannelFactory();
        ports.Add("/dev/ttyAMA0", sensor);
        sensor.Receive([0x42, 0x4D, 0xE1, 0x00, 0x00, 0x01, 0x70], new byte[64]); // left passive by another program
        Assert.False(sensor.Active);

        var store = new MetricStore();
        var device = new ParticulateSensor(new DeviceMetrics(store), new DeviceIdentity("p", "pms5003", "ttyAMA0", ""), new Pms5003(new SerialSettings("/dev/ttyAMA0"), ports), new PollSettings(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(4)), counts: true);
        store.Seal();
        Assert.Equal(DeviceError.None, device.Poll());
        Assert.True(sensor.Active);
        IReadOnlyDictionary<string, double> samples = Render(store).Samples;
        Assert.Equal(20e-6, samples["edge_particulate_matter_grams_per_cubic_meter{bus=\"ttyAMA0\",device=\"p\",model=\"pms5003\",size=\"pm2.5\"}"], 15);
        Assert.Equal(29e-6, samples["edge_particulate_matter_grams_per_cubic_meter{bus=\"ttyAMA0\",device=\"p\",model=\"pms5003\",size=\"pm10\"}"], 15);
        Assert.Equal(30_000_000, samples["edge_particles_per_cubic_meter{bus=\"ttyAMA0\",device=\"p\",model=\"pms5003\",size=\"0.3um\"}"]);
    }

    [SkippableFact]
    public void Over_a_real_pty_faults_are_counted_silence_is_a_timeout_and_the_sensor_comes_back()
    {
        using var pty = new SocatPty();
        var time = new FakeTime();
        var store = new MetricStore(time);
        var faults = new FaultSource();
        var sensor = new SimulatedPms5003(_ => 14, faults: faults);
        var device = new ParticulateSensor(new DeviceMetrics(store), new DeviceIdentity("p", "pms5003", "ttyMaster", ""), new Pms5003(new SerialSettings(pty.Master), TermiosSerialChannelFactory.Instance), new PollSettings(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(4)), counts: false);
        store.Seal();
        var pump = new SerialPeerPump(pty.Device, sensor);
        try
        {
            Assert.Equal(DeviceError.None, device.Poll());
            IReadOnlyDictionary<string, double> samples = Render(store).Samples;
            Assert.Equal(14e-6, samples[Pm25], 15);
            Assert.DoesNotContain(samples.Keys, key => key.StartsWith("edge_particles_per_cubic_meter", StringComparison.Ordinal)); // counts: false

            faults.Current = SimulatedFault.Garbage; // noise before each frame: counted, the frame still reads
            Assert.Equal(DeviceError.None, device.Poll());
            Assert.Equal(1, Render(store).Samples["edge_device_errors_total{device=\"p\",kind=\"framing\"}"]);

            faults.Current = SimulatedFault.CrcError;
            Assert.Equal(DeviceError.Crc, device.Poll());
            samples = Render(store).Samples;
            Assert.Equal(0, samples[Up]);
            Assert.InRange(samples["edge_device_errors_total{device=\"p\",kind=\"crc\"}"], 1, 2); // every frame of the 3 s wait, one or two

            faults.Current = SimulatedFault.Timeout; // silence
            var clock = Stopwatch.StartNew();
            Assert.Equal(DeviceError.Timeout, device.Poll());
            Assert.InRange(clock.Elapsed.TotalSeconds, 2.9, 4);
            time.Advance(TimeSpan.FromSeconds(16));
            Assert.False(Render(store).Samples.ContainsKey(Pm25), "a stale reading must disappear");

            faults.Current = SimulatedFault.None;
            Assert.Equal(DeviceError.None, device.Poll());
            Assert.Equal(1, Render(store).Samples[Up]);

            pump.Dispose();
            pty.Unplug();
            DeviceError gone = DeviceError.None;
            for (int i = 0; i < 3 && gone != DeviceError.Open; i++)
            {
                gone = device.Poll(); // a hung-up port fails (or is silent) and is closed; then it cannot be opened
            }

            Assert.Equal(DeviceError.Open, gone);
            pty.Plug();
            pump = new SerialPeerPump(pty.Device, sensor);
            Assert.Equal(DeviceError.None, device.Poll()); // opened again
        }
        finally
        {
            pump.Dispose();
        }
    }

    private static Pms5003Verdict Feed(Pms5003Frames frames, ReadOnlySpan<byte> bytes)
    {
        Pms5003Verdict last = Pms5003Verdict.None;
        foreach (byte b in bytes)
        {
            last = frames.Push(b);
        }

        return last;
    }
}
