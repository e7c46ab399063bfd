using EdgeExporter.Hardware.Serial;
using EdgeExporter.Hardware.Simulation;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// The published static binary (x64 on the host, arm64 under qemu-user) reading an energy meter, a
/// GPS receiver and a PMS5003 particle sensor over real pseudo-terminals with its termios channel: System.IO.Ports could not
/// load in it (hardware.md A.2), so this is the code that runs on a device.
/// </summary>
public class SerialTests
{
    [SkippableTheory]
    [InlineData("linux-x64")]
    [InlineData("linux-arm64")]
    public async Task The_static_binary_reads_a_meter_a_gps_and_a_particle_sensor_over_ptys(string rid)
    {
        using var meterLine = new SocatPty();
        using var gpsLine = new SocatPty();
        var line = new SimulatedModbusLine();
        line.Add(1, new SimulatedEnergyMeter(phases: 3));
        using var meterPump = new SerialPeerPump(meterLine.Device, line, new SerialSettings(meterLine.Device, 19200));
        using var gpsPump = new SerialPeerPump(gpsLine.Device, new SimulatedGpsReceiver(-33.8568, 151.2153, 5));
        using var dustLine = new SocatPty();
        using var dustPump = new SerialPeerPump(dustLine.Device, new SimulatedPms5003(_ => 17));
        string config = Path.Combine(Directory.CreateTempSubdirectory("edge-serial-").FullName, "edge.yml");
        File.WriteAllText(config, $"""
            devices:
              - {"{"} name: house, model: sdm630, port: {meterLine.Master}, slave: 1, baud: 19200, parity: even, interval: 2s, response_timeout: 200ms, retries: 0 {"}"}
              - {"{"} name: gps, model: nmea_gps, port: {gpsLine.Master}, interval: 1s {"}"}
              - {"{"} name: dust, model: pms5003, port: {dustLine.Master}, interval: 5s {"}"}
            """);
        string binary = ExporterProcess.Binary(rid);
        (string program, string[] prefix) = rid == "linux-arm64" ? (Tools.Require("qemu-aarch64-static"), new[] { binary }) : (binary, []);
        using ExporterProcess exporter = ExporterProcess.Start(program, [.. prefix, "--web.listen-address=127.0.0.1:0", $"--config.file={config}"]);

        Exposition metrics;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(250);
            metrics = Exposition.Parse(await exporter.GetAsync("/metrics"));
        }
        while (DateTime.UtcNow < deadline
               && !(metrics.Samples.GetValueOrDefault("edge_device_up{device=\"house\",model=\"sdm630\"}") == 1
                    && metrics.Samples.GetValueOrDefault("edge_device_up{device=\"gps\",model=\"nmea_gps\"}") == 1
                    && metrics.Samples.GetValueOrDefault("edge_device_up{device=\"dust\",model=\"pms5003\"}") == 1
                    && metrics.Samples.Keys.Any(k => k.StartsWith("edge_gps_satellites_visible", StringComparison.Ordinal))));

        Assert.Equal(1, metrics.Samples["edge_device_up{device=\"house\",model=\"sdm630\"}"]);
        Assert.Equal(1, metrics.Samples["edge_device_up{device=\"gps\",model=\"nmea_gps\"}"]);
        string bus = Path.GetFileName(meterLine.Master);
        Assert.InRange(metrics.Samples[$"edge_voltage_volts{{address=\"1\",bus=\"{bus}\",device=\"house\",model=\"sdm630\",phase=\"l2\"}}"], 225, 235);
        Assert.InRange(metrics.Samples[$"edge_frequency_hertz{{address=\"1\",bus=\"{bus}\",device=\"house\",model=\"sdm630\"}}"], 49.9, 50.1);
        string gps = $"{{bus=\"{Path.GetFileName(gpsLine.Master)}\",device=\"gps\",model=\"nmea_gps\"}}";
        Assert.Equal(-33.8568, metrics.Samples["edge_gps_latitude_degrees" + gps], 3);
        Assert.Equal(151.2153, metrics.Samples["edge_gps_longitude_degrees" + gps], 3);
        Assert.Equal(8, metrics.Samples["edge_gps_satellites_visible" + gps[..^1] + ",system=\"gps\"}"]);
        Assert.Equal(3, metrics.Samples["edge_gps_satellites_visible" + gps[..^1] + ",system=\"glonass\"}"]);
        string dust = $"{{bus=\"{Path.GetFileName(dustLine.Master)}\",device=\"dust\",model=\"pms5003\"";
        Assert.Equal(17e-6, metrics.Samples["edge_particulate_matter_grams_per_cubic_meter" + dust + ",size=\"pm2.5\"}"], 12);
        Assert.Equal(1_530_000, metrics.Samples["edge_particles_per_cubic_meter" + dust + ",size=\"1.0um\"}"]); // the double's 153 per 0.1 L
        Assert.Contains("serial port cannot apply parity or data bits", exporter.Log); // 8E1 asked of a pty: said, not fatal
    }
}
