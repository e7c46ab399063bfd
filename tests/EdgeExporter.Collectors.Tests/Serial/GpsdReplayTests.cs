using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Serial;
using EdgeExporter.Hardware.Serial;
using EdgeExporter.Metrics;
using EdgeExporter.Tests.Shared;
using Xunit.Abstractions;

namespace EdgeExporter.Collectors.Tests.Serial;

/// <summary>
/// Every log in shared/fixtures/gpsd-nmea (real receivers, from gpsd's regression suite) written
/// epoch by epoch into a real pty (socat) and read by the real <see cref="GpsDevice"/>; after each
/// epoch the exported series are compared with the last TPV and SKY reports gpsd's <c>.chk</c> has
/// for the same epoch. Where we knowingly differ, the difference is one of <see cref="Reason"/>, each
/// checked to be what it claims (gpsd's own inference or bookkeeping, never a value the receiver sent).
/// </summary>
public class GpsdReplayTests(ITestOutputHelper output)
{
    private const string Labels = "bus=\"ttyMaster\",device=\"gps\",model=\"nmea_gps\"";

    /// <summary>Why an epoch's value differs from gpsd's: each is checked where it is claimed.</summary>
    public enum Reason
    {
        /// <summary>Equal within the precision gpsd prints.</summary>
        Agrees,

        /// <summary>
        /// gpsd reports nothing for this value in this epoch (no TPV or SKY, or nothing yet), or its last
        /// report of the epoch came before the sentence that carries the value (mtk-3301's first RMC with a fix).
        /// </summary>
        GpsdSilent,

        /// <summary>
        /// gpsd's SKY without a skyview reports the count of the last GGA (or GSA) it parsed: a
        /// SiRFstarV's GLGGA overwrites the GPGGA's, a u-blox's GGA caps at 12; ours is the union of
        /// the epoch's GSA lists. Checked: gpsd's number is the epoch's last GGA count.
        /// </summary>
        GpsdTakesLastGgaCount,

        /// <summary>
        /// gpsd says 3D where the receiver's own GSA says 2D (it upgrades a fix once it has seen an
        /// altitude). Checked: the epoch's GSA says mode 2.
        /// </summary>
        GpsdUpgradesReceiversMode,

        /// <summary>
        /// gpsd's mode in an epoch without GSA follows GGA's satellite count (2D below 4) and the
        /// previous fix; ours is 3D for any fix with an altitude. Checked: no GSA, a GGA fix with an altitude.
        /// </summary>
        GpsdModeFromGgaCount,

        /// <summary>
        /// gpsd drops a GSV set whose satellites all have azimuth 0 (a SiRFstarII quirk) and so reports
        /// no satellites in view; the receiver said how many it sees (0 here). Checked: the latest GSV
        /// sets, of this epoch or an earlier one, have no azimuth other than 0.
        /// </summary>
        GpsdDropsGsvWithoutAzimuth,

        /// <summary>
        /// In an epoch with neither GSA nor GGA, gpsd counts the satellites its skyview marks used (0);
        /// the receiver said nothing about satellites used, and ours shows nothing. Checked: no GSA, no GGA.
        /// </summary>
        GpsdUsedFromSkyview,

        /// <summary>Not explained: a bug on one side.</summary>
        Unexplained,
    }

    public static TheoryData<string> Logs() => [.. Directory.GetFiles(Fixtures, "*.log").Select(path => Path.GetFileName(path)).Order(StringComparer.Ordinal)];

    private static string Fixtures => Path.Combine(RepoPaths.Shared, "fixtures", "gpsd-nmea");

    [SkippableTheory]
    [MemberData(nameof(Logs))]
    public void Every_epoch_agrees_with_gpsd_or_differs_for_a_named_reason(string log)
    {
        List<string> sentences = [.. File.ReadLines(Path.Combine(Fixtures, log)).Where(line => line.StartsWith('$'))];
        List<Epoch> epochs = Epochs(sentences, File.ReadAllLines(Path.Combine(Fixtures, log + ".chk")));

        using var pty = new SocatPty();
        var store = new MetricStore();
        var gps = new GpsDevice(new DeviceMetrics(store), new DeviceIdentity("gps", "nmea_gps", "ttyMaster", ""), PollSettings.Every(TimeSpan.FromSeconds(1)), new SerialSettings(pty.Master, 4800), TermiosSerialChannelFactory.Instance, quiet: TimeSpan.FromMilliseconds(20)); // the test waits for every line to be shown anyway
        store.Seal();
        using var stopping = new CancellationTokenSource();
        using ISerialChannel receiver = TermiosSerialChannel.Open(new SerialSettings(pty.Device, 4800));
        gps.Start(stopping.Token);
        try
        {
            // The reader opens its port on its own thread: proprietary lines, ignored, until it hears them.
            WaitFor(() =>
            {
                receiver.Write(Encoding.ASCII.GetBytes(Line("PEDGE,SYNC")));
                Thread.Sleep(20);
                return gps.Lines > 0;
            });
            WaitFor(() => gps.LinesPublished == gps.Lines);
            long written = gps.Lines;

            var tally = new SortedDictionary<(string Field, Reason Reason), int>();
            foreach (Epoch epoch in epochs)
            {
                receiver.Write(Encoding.ASCII.GetBytes(string.Concat(epoch.Sentences.Select(s => s + "\r\n"))));
                written += epoch.Sentences.Count;
                WaitFor(() => gps.LinesPublished == written);
                IReadOnlyDictionary<string, double> ours = Samples(store);
                foreach ((string field, Reason reason, string detail) in Compare(epoch, ours))
                {
                    tally[(field, reason)] = tally.GetValueOrDefault((field, reason)) + 1;
                    if (reason == Reason.Unexplained)
                    {
                        output.WriteLine($"{log} epoch {epoch.Index} ({epoch.Sentences[0][..Math.Min(30, epoch.Sentences[0].Length)]}): {field}: {detail}");
                    }
                }
            }

            IReadOnlyDictionary<string, double> last = Samples(store);
            output.WriteLine($"{log}: {epochs.Count} epochs, {sentences.Count} sentences; used {last.GetValueOrDefault("edge_gps_sentences_total{device=\"gps\",kind=\"used\"}")}, ignored {last.GetValueOrDefault("edge_gps_sentences_total{device=\"gps\",kind=\"ignored\"}") - 1 /* the sync line */}");
            foreach (((string field, Reason reason), int count) in tally)
            {
                output.WriteLine($"  {field,-10} {reason,-30} {count}");
            }

            // A healthy receiver's stream is no error at all: proprietary, overlong and unchecked lines included.
            foreach (string kind in new[] { "crc", "framing", "invalid", "internal" })
            {
                Assert.Equal(0, last[$"edge_device_errors_total{{device=\"gps\",kind=\"{kind}\"}}"]);
            }

            Assert.DoesNotContain(tally.Keys, key => key.Reason == Reason.Unexplained);
            Assert.Equal(ExpectedEpochs[log], epochs.Count);
        }
        finally
        {
            stopping.Cancel();
        }
    }

    // The fixtures' README: how many epochs each log has.
    private static readonly Dictionary<string, int> ExpectedEpochs = new()
    {
        ["ublox-neo-m9n-nmea.log"] = 61,
        ["sirfstarv-nmea.log"] = 59,
        ["garmin25lp.log"] = 20,
        ["eXplorist110.log"] = 11,
        ["mtk-3301.log"] = 11, // the README's 12 count the power-up burst ($PMTK010, $POLYN) apart; without a timed sentence it belongs to the first GGA's epoch here
        ["nmea-rtk.log"] = 122,
    };

    private static IEnumerable<(string Field, Reason Reason, string Detail)> Compare(Epoch epoch, IReadOnlyDictionary<string, double> ours)
    {
        JsonElement? tpv = epoch.Tpv;
        JsonElement? sky = epoch.Sky;
        double mode = Value(ours, "edge_gps_fix_mode");
        double gpsdMode = Number(tpv, "mode");

        yield return Judge("mode", mode, gpsdMode, 0, () =>
            double.IsNaN(gpsdMode) ? Reason.GpsdSilent
            : gpsdMode == 3 && mode == 2 && epoch.Has("GSA", f => f[2] == "2") ? Reason.GpsdUpgradesReceiversMode
            : mode == 3 && gpsdMode == 2 && !epoch.Has("GSA", _ => true) && epoch.Has("GGA", f => f[6] != "0" && f[9] != "") ? Reason.GpsdModeFromGgaCount
            : Reason.Unexplained);

        foreach ((string field, string metric, string key, double tolerance) in new[]
        {
            ("latitude", "edge_gps_latitude_degrees", "lat", 1e-8),
            ("longitude", "edge_gps_longitude_degrees", "lon", 1e-8),
            ("altitude", "edge_gps_altitude_meters", "altMSL", 1e-4),
        })
        {
            double value = Value(ours, metric), expected = Number(tpv, key);
            yield return Judge(field, value, expected, tolerance, () =>
                double.IsNaN(expected) && tpv is null ? Reason.GpsdSilent
                : Reason.Unexplained);
        }

        foreach ((string field, string metric, string key, double tolerance) in new[]
        {
            ("speed", "edge_gps_speed_meters_per_second", "speed", 6e-4),
            ("course", "edge_gps_course_degrees", "track", 1e-4),
        })
        {
            double value = Value(ours, metric), expected = Number(tpv, key);
            yield return Judge(field, value, expected, tolerance, () =>
                tpv is null ? Reason.GpsdSilent
                : double.IsNaN(expected) && epoch.RmcAfterLastTpv ? Reason.GpsdSilent
                : Reason.Unexplained);
        }

        foreach ((string field, string metric) in new[] { ("hdop", "edge_gps_hdop"), ("pdop", "edge_gps_pdop"), ("vdop", "edge_gps_vdop") })
        {
            double value = Value(ours, metric), expected = Number(sky, field);
            yield return Judge(field, value, expected, 0.005, () =>
                sky is null && double.IsNaN(expected) ? Reason.GpsdSilent
                : Reason.Unexplained);
        }

        double visible = Sum(ours, "edge_gps_satellites_visible{"), gpsdVisible = Number(epoch.Skyview, "nSat");
        yield return Judge("visible", visible, gpsdVisible, 0, () =>
            epoch.Skyview is null && double.IsNaN(gpsdVisible) && epoch.LatestGsvWithoutAzimuth ? Reason.GpsdDropsGsvWithoutAzimuth
            : epoch.Skyview is null && double.IsNaN(visible) ? Reason.GpsdSilent
            : Reason.Unexplained);

        double used = Sum(ours, "edge_gps_satellites_used{"), gpsdUsed = Number(epoch.LastSky, "uSat");
        yield return Judge("used/rx", used, epoch.ReceiverUsed, 0, () => Reason.Unexplained); // the receiver's own lists, no excuses
        yield return Judge("used", used, gpsdUsed, 0, () =>
            double.IsNaN(gpsdUsed) ? Reason.GpsdSilent
            : double.IsNaN(used) && gpsdUsed == 0 && epoch.LastSky?.TryGetProperty("satellites", out _) == true && !epoch.Has("GSA", _ => true) && !epoch.Has("GGA", _ => true) ? Reason.GpsdUsedFromSkyview
            : epoch.LastSky?.TryGetProperty("satellites", out _) != true && epoch.LastGgaCount == gpsdUsed ? Reason.GpsdTakesLastGgaCount
            : Reason.Unexplained);
    }

    private static (string, Reason, string) Judge(string field, double ours, double gpsd, double tolerance, Func<Reason> why)
    {
        bool agree = (double.IsNaN(ours) && double.IsNaN(gpsd)) || Math.Abs(ours - gpsd) <= tolerance;
        return (field, agree ? Reason.Agrees : why(), $"ours {ours.ToString(CultureInfo.InvariantCulture)}, gpsd {gpsd.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>
    /// The log's epochs as <see cref="GpsState"/> finds them, each with gpsd's reports that follow its
    /// sentences in the .chk (the last TPV and SKY; a SKY with a skyview may come from an earlier epoch).
    /// </summary>
    private static List<Epoch> Epochs(List<string> sentences, string[] chk)
    {
        var state = new GpsState();
        var starts = new List<int> { 0 };
        for (int i = 0; i < sentences.Count; i++)
        {
            long before = state.Epochs;
            byte[] line = Encoding.ASCII.GetBytes(sentences[i]);
            NmeaLine verdict = Nmea.Check(line);
            if (verdict is NmeaLine.Sentence or NmeaLine.Unchecked)
            {
                state.Update(line, 0, DateTimeOffset.UnixEpoch, verdict == NmeaLine.Sentence);
            }

            if (state.Epochs != before)
            {
                starts.Add(i);
            }
        }

        // Which sentence each gpsd report follows.
        var reports = new List<(int After, JsonElement Report)>();
        int sentence = -1;
        foreach (string line in chk)
        {
            if (line.StartsWith('$'))
            {
                // gpsd's .chk leaves out what its packet layer drops (mtk-3301's $POLYN, which has no checksum).
                do
                {
                    sentence++;
                }
                while (sentences[sentence] != line);
            }
            else if (line.StartsWith('{'))
            {
                reports.Add((sentence, JsonDocument.Parse(line).RootElement));
            }
        }

        var epochs = new List<Epoch>();
        JsonElement? skyview = null;
        bool lastGsvWithoutAzimuth = false;
        for (int e = 0; e < starts.Count; e++)
        {
            int from = starts[e], to = e + 1 < starts.Count ? starts[e + 1] : sentences.Count;
            var epoch = new Epoch(e, sentences.GetRange(from, to - from));
            foreach ((int after, JsonElement report) in reports.Where(r => r.After >= from && r.After < to))
            {
                string type = report.GetProperty("class").GetString()!;
                if (type == "TPV")
                {
                    epoch.Tpv = report;
                    epoch.TpvAfter = after - from;
                }
                else if (type == "SKY")
                {
                    epoch.LastSky = report;
                    if (report.TryGetProperty("satellites", out _) || report.TryGetProperty("nSat", out _))
                    {
                        skyview = report;
                    }

                    epoch.Sky = report;
                }
            }

            epoch.Skyview = skyview;
            if (epoch.Sentences.Any(s => Epoch.Type(s) == "GSV"))
            {
                lastGsvWithoutAzimuth = epoch.Sentences.Where(s => Epoch.Type(s) == "GSV").All(s => Epoch.Fields(s).Skip(4).Where((_, i) => i % 4 == 2).All(az => az is "" or "0" or "000"));
            }

            epoch.LatestGsvWithoutAzimuth = lastGsvWithoutAzimuth;
            epochs.Add(epoch);
        }

        return epochs;
    }

    private static double Number(JsonElement? report, string name) =>
        report is { } r && r.TryGetProperty(name, out JsonElement value) ? value.GetDouble() : double.NaN;

    private static double Value(IReadOnlyDictionary<string, double> samples, string metric) =>
        samples.TryGetValue($"{metric}{{{Labels}}}", out double value) ? value : double.NaN;

    private static double Sum(IReadOnlyDictionary<string, double> samples, string prefix)
    {
        double total = double.NaN;
        foreach ((string key, double value) in samples)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                total = double.IsNaN(total) ? value : total + value;
            }
        }

        return total;
    }

    private static IReadOnlyDictionary<string, double> Samples(MetricStore store)
    {
        var buffer = new byte[store.MaxTextBytes];
        return Exposition.Parse(Encoding.UTF8.GetString(buffer, 0, ExpositionWriter.Write(store, ExpositionFormat.Text, buffer))).Samples;
    }

    private static string Line(string body)
    {
        byte sum = 0;
        foreach (char c in body)
        {
            sum ^= (byte)c;
        }

        return $"${body}*{sum:X2}\r\n";
    }

    private static void WaitFor(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "condition not met in time");
            Thread.Sleep(5);
        }
    }

    private sealed class Epoch(int index, List<string> sentences)
    {
        public int Index { get; } = index;

        public List<string> Sentences { get; } = sentences;

        /// <summary>gpsd's last TPV of the epoch.</summary>
        public JsonElement? Tpv { get; set; }

        /// <summary>The sentence of the epoch (its index) that gpsd's last TPV follows.</summary>
        public int TpvAfter { get; set; }

        /// <summary>The epoch's RMC with a fix comes after gpsd's last TPV: gpsd never reported what it said.</summary>
        public bool RmcAfterLastTpv => Sentences.Skip(TpvAfter + 1).Any(s => Type(s) == "RMC" && Fields(s)[2] is "A" or "D");

        /// <summary>gpsd's last SKY of the epoch.</summary>
        public JsonElement? Sky { get; set; }

        public JsonElement? LastSky { get; set; }

        /// <summary>gpsd's latest SKY with a skyview (nSat), from this epoch or an earlier one.</summary>
        public JsonElement? Skyview { get; set; }

        public double LastGgaCount => Sentences.Where(s => Type(s) == "GGA").Select(s => double.TryParse(Fields(s)[7], CultureInfo.InvariantCulture, out double n) ? n : double.NaN).LastOrDefault(double.NaN);

        /// <summary>The latest GSV sets, of this epoch or an earlier one, have no satellite with an azimuth.</summary>
        public bool LatestGsvWithoutAzimuth { get; set; }

        /// <summary>What the receiver said it used: the distinct satellites of the epoch's GSA sentences, else its GGA counts.</summary>
        public double ReceiverUsed =>
            Has("GSA", _ => true)
                ? Sentences.Where(s => Type(s) == "GSA").SelectMany(s => Fields(s)[3..15].Where(f => f != "").Select(f => (s[1..3], Fields(s)[18], int.Parse(f, CultureInfo.InvariantCulture)))).Select(Distinct).Distinct().Count()
                : Has("GGA", _ => true) ? Sentences.Where(s => Type(s) == "GGA").GroupBy(s => s[1..3]).Sum(g => double.TryParse(Fields(g.Last())[7], CultureInfo.InvariantCulture, out double n) ? n : 0)
                : double.NaN;

        public bool Has(string type, Func<string[], bool> condition) => Sentences.Any(s => Type(s) == type && condition(Fields(s)));

        // A satellite as NMEA numbers it, told apart by system where the number alone does not (4.10's system id, the talker).
        private static (string, int) Distinct((string Talker, string SystemId, int Number) satellite) =>
            (satellite.SystemId != "" ? satellite.SystemId : satellite.Talker == "GN" ? "" : satellite.Talker, satellite.Number);

        public static string Type(string sentence) => sentence.Length > 6 && sentence[1] != 'P' ? sentence[3..6] : "";

        public static string[] Fields(string sentence)
        {
            int star = sentence.LastIndexOf('*');
            string[] fields = sentence[1..(star < 0 ? sentence.Length : star)].Split(',');
            return fields.Length >= 20 ? fields : [.. fields, .. Enumerable.Repeat("", 20 - fields.Length)];
        }
    }
}
