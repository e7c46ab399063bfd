using System.Text;
using System.Text.RegularExpressions;
using EdgeExporter.Config;
using EdgeExporter.Status;
using EdgeExporter.Tests.Shared;

namespace EdgeExporter.Tests;

/// <summary>
/// The status page as a function of a scrape: what it shows for devices up and down, units people
/// read, escaping of everything the config names, a page that outgrows its buffer, and no
/// allocation. The page in a real browser is <c>StatusPageBrowserTests</c> (end to end).
/// </summary>
public partial class StatusPageTests
{
    private const double Now = 1_800_000_000;

    private const string Scrape = """
        # HELP edge_exporter_build_info b
        # TYPE edge_exporter_build_info gauge
        edge_exporter_build_info{version="1.2.3",revision="0123456789abcdef",goos="linux",goarch="arm64"} 1
        process_start_time_seconds 1799999000
        node_boot_time_seconds 1799000000
        node_uname_info{nodename="gw-7",release="6.1"} 1
        edge_device_up{device="kitchen",model="bme280"} 1
        edge_device_up{device="cellar",model="ds18b20"} 0
        edge_device_info{device="kitchen",model="bme280",bus="i2c-1",address="0x76",room="kitchen"} 1
        edge_device_info{device="cellar",model="ds18b20",bus="w1",address="28-00000abc"} 1
        edge_device_last_success_timestamp_seconds{device="kitchen"} 1799999998
        edge_device_errors_total{device="kitchen",kind="nack"} 0
        edge_device_errors_total{device="cellar",kind="crc"} 3
        edge_device_errors_total{device="cellar",kind="timeout"} 2
        edge_humidity_ratio{device="kitchen",model="bme280",bus="i2c-1",address="0x76",room="kitchen"} 0.5
        edge_pressure_pascals{device="kitchen",model="bme280",bus="i2c-1",address="0x76",room="kitchen"} 101325
        edge_temperature_celsius{device="kitchen",model="bme280",bus="i2c-1",address="0x76",room="kitchen"} 21.25
        edge_energy_import_joules_total{device="meter",model="sdm120",bus="ttyUSB0",address="1"} 3600000
        edge_device_poll_duration_seconds{device="kitchen",quantile="0.5"} 0.01
        node_load1 0.5
        node_load5 0.25
        node_load15 0.125
        node_cpu_seconds_total{cpu="0",mode="idle"} 10
        node_cpu_seconds_total{cpu="0",mode="user"} 10
        node_cpu_seconds_total{cpu="1",mode="idle"} 10
        node_memory_MemTotal_bytes 4294967296
        node_memory_MemAvailable_bytes 1073741824
        node_filesystem_size_bytes{device="/dev/root",fstype="ext4",mountpoint="/"} 34359738368
        node_filesystem_avail_bytes{device="/dev/root",fstype="ext4",mountpoint="/"} 8589934592
        node_thermal_zone_temp{type="cpu-thermal",zone="0"} 48.3
        edge_raspberrypi_throttling_now{flag="under_voltage"} 1
        edge_raspberrypi_throttling_now{flag="throttled"} 0
        edge_raspberrypi_throttling_since_boot{flag="under_voltage"} 1
        edge_raspberrypi_throttling_since_boot{flag="throttled"} 1
        node_scrape_collector_success{collector="cpu"} 1
        node_scrape_collector_success{collector="hwmon"} 0
        node_scrape_collector_duration_seconds{collector="cpu"} 0.0012
        node_scrape_collector_duration_seconds{collector="hwmon"} 0.5

        """;

    [Fact]
    public void Shows_each_device_up_or_down_with_its_identity_age_errors_and_readings()
    {
        string page = Render(Scrape);
        string kitchen = Article(page, "kitchen");
        Assert.Contains("<span class=\"badge up\">up</span>kitchen</h3>", kitchen, StringComparison.Ordinal);
        Assert.Contains("bme280 on i2c-1 at 0x76 <span class=\"labels\">room=kitchen</span>. Last success: 2 s ago.", kitchen, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">humidity</th><td class=\"num\">50 %</td>", kitchen, StringComparison.Ordinal); // the device's own label is not repeated per reading
        Assert.Contains("<th scope=\"row\">pressure</th><td class=\"num\">1013.25 hPa</td>", kitchen, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">temperature</th><td class=\"num\">21.25 °C</td>", kitchen, StringComparison.Ordinal);
        Assert.Contains("Errors: none.", kitchen, StringComparison.Ordinal); // a zero count is not an error
        Assert.DoesNotContain("poll duration", kitchen, StringComparison.Ordinal); // health families are not readings

        string cellar = Article(page, "cellar");
        Assert.Contains("<article class=\"device down\">", cellar, StringComparison.Ordinal);
        Assert.Contains("<span class=\"badge down\">down</span>cellar</h3>", cellar, StringComparison.Ordinal);
        Assert.Contains("ds18b20 on w1 at 28-00000abc. Last success: never.", cellar, StringComparison.Ordinal);
        Assert.Contains("No readings", cellar, StringComparison.Ordinal);
        Assert.Contains("Errors: crc 3, timeout 2.", cellar, StringComparison.Ordinal);
        Assert.Contains("<p>1 of 2 devices up.</p>", page, StringComparison.Ordinal);
    }

    [Fact]
    public void Shows_build_uptime_host_and_collectors()
    {
        string page = Render(Scrape);
        Assert.Contains("<title>EdgeExporter on gw-7</title>", page, StringComparison.Ordinal);
        Assert.Contains("Version 1.2.3 (revision 0123456789ab), linux/arm64. Exporter up 16 min 40 s. Host up 11 d 13 h.", page, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">0.50, 0.25, 0.13 on 2 CPUs</td>", page, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">Memory</th><td class=\"num\">1 GiB of 4 GiB available (75 % used)</td>", page, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">Disk /</th><td class=\"num\">8 GiB of 32 GiB free (75 % used)</td>", page, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">Temperature cpu-thermal</th><td class=\"num\">48.3 °C</td>", page, StringComparison.Ordinal);
        Assert.Contains("Now: <strong>under_voltage</strong>. Since boot: <strong>under_voltage</strong>, <strong>throttled</strong>.", page, StringComparison.Ordinal);
        Assert.Contains("<p>1 of 2 succeeded in this scrape.</p>", page, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">cpu</th><td><span class=\"badge up\">ok</span></td><td class=\"num\">1.2 ms</td>", page, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">hwmon</th><td><span class=\"badge down\">failed</span></td><td class=\"num\">500 ms</td>", page, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/metrics\">Metrics</a> <a href=\"/-/healthy\">Healthy</a> <a href=\"/-/ready\">Ready</a>", page, StringComparison.Ordinal);
        AssertWellFormed(page);
    }

    [Fact]
    public void Energy_in_joules_reads_as_kilowatt_hours()
    {
        string page = Render(Scrape.Replace("edge_device_up{device=\"kitchen\"", "edge_device_up{device=\"meter\",model=\"sdm120\"} 1\nedge_device_up{device=\"kitchen\"", StringComparison.Ordinal));
        Assert.Contains("<th scope=\"row\">energy import</th><td class=\"num\">1 kWh</td>", Article(page, "meter"), StringComparison.Ordinal);
    }

    [Fact]
    public void Co2_as_a_ratio_reads_as_ppm()
    {
        string page = Render(Scrape.Replace("edge_device_up{device=\"kitchen\"", "edge_device_up{device=\"air\",model=\"scd4x\"} 1\nedge_co2_ratio{device=\"air\",model=\"scd4x\",bus=\"i2c-1\",address=\"0x62\"} 0.000842\nedge_device_up{device=\"kitchen\"", StringComparison.Ordinal));
        Assert.Contains("<th scope=\"row\">co2</th><td class=\"num\">842 ppm</td>", Article(page, "air"), StringComparison.Ordinal);
    }

    [Fact]
    public void Everything_the_config_names_is_escaped()
    {
        const string hostile = "<script>alert(1)</script> & \\\"x\\\" 'y'";
        string scrape = $$"""
            edge_device_up{device="{{hostile}}",model="m<b>"} 0
            edge_device_info{device="{{hostile}}",model="m<b>",bus="i2c-1",address="0x40",note="<img src=x onerror=alert(1)>"} 1
            edge_temperature_celsius{device="{{hostile}}",model="m<b>",bus="i2c-1",address="0x40",where="</td><td>"} 1
            node_scrape_collector_success{collector="<i>c</i>"} 1

            """;
        string page = Render(scrape);
        Assert.DoesNotContain("<script>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<i>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("</td><td>", page, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39;", page, StringComparison.Ordinal);
        Assert.Contains("note=&lt;img src=x onerror=alert(1)&gt;", page, StringComparison.Ordinal);
        AssertWellFormed(page);
    }

    [Fact]
    public void A_page_that_outgrows_its_buffer_is_cut_short_and_still_well_formed()
    {
        var scrape = new StringBuilder();
        for (int i = 0; i < 500; i++)
        {
            scrape.Append($"edge_device_up{{device=\"d{i}\",model=\"sht3x\"}} 1\n");
            scrape.Append($"edge_temperature_celsius{{device=\"d{i}\",model=\"sht3x\",bus=\"i2c-1\",address=\"0x44\"}} {i}\n");
        }

        byte[] buffer = new byte[16 * 1024];
        int length = StatusPage.Write(Encoding.UTF8.GetBytes(scrape.ToString()), buffer, Now, "/metrics"u8);
        string page = Encoding.UTF8.GetString(buffer, 0, length);
        Assert.InRange(length, buffer.Length - HtmlWriter.Reserve - 512, buffer.Length);
        Assert.Contains("This page was cut short", page, StringComparison.Ordinal);
        Assert.EndsWith("</main>\n</body>\n</html>\n", page, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_devices_or_collectors_the_page_says_so()
    {
        string page = Render("process_start_time_seconds 1799999990\n");
        Assert.Contains("No devices are configured", page, StringComparison.Ordinal);
        Assert.Contains("No host collectors are enabled", page, StringComparison.Ordinal);
        AssertWellFormed(page);
    }

    [Fact]
    public void Writing_the_page_allocates_nothing()
    {
        byte[] scrape = Encoding.UTF8.GetBytes(Scrape);
        byte[] buffer = new byte[StatusPage.MaxBytes];
        long bytes = SteadyAllocation.Bytes(() => StatusPage.Write(scrape, buffer, Now, "/metrics"u8), 50, out long[] blocks);
        Assert.True(bytes == 0, $"{bytes} B per block of 10 ({string.Join(", ", blocks)})");
    }

    [Fact]
    public async Task The_exporter_page_shows_every_demo_device_and_allocates_nothing_once_warm()
    {
        var options = new ExporterOptions { ListenAddresses = ["127.0.0.1:0"], Simulate = true };
        await using var exporter = new Exporter(options, ConfigSource.Load(options), new Logger(TextWriter.Null));
        byte[] buffer = new byte[exporter.MaxStatusPageBytes];
        string page = Encoding.UTF8.GetString(buffer, 0, exporter.WriteStatusPage(buffer));
        foreach (string device in (string[])["room-sht31", "lab-sht41", "outdoor-bme280", "solar-ina219", "tank-ds18b20", "door", "energy-s0", "house-sdm630", "heatpump-sdm120", "boiler", "gps"])
        {
            Assert.Contains($"</span>{device}</h3>", page, StringComparison.Ordinal);
        }

        Assert.Contains("<h2 id=\"collectors\">Collectors</h2>", page, StringComparison.Ordinal);
        AssertWellFormed(page);
        long bytes = SteadyAllocation.Bytes(() => exporter.WriteStatusPage(buffer), 25, out long[] blocks, warmUp: 3);
        Assert.True(bytes == 0, $"{bytes} B per block of 5 ({string.Join(", ", blocks)})");
    }

    private static string Render(string scrape)
    {
        byte[] buffer = new byte[StatusPage.MaxBytes];
        int length = StatusPage.Write(Encoding.UTF8.GetBytes(scrape.Replace("\r\n", "\n", StringComparison.Ordinal)), buffer, Now, "/metrics"u8);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    private static string Article(string page, string device)
    {
        int name = page.IndexOf($"</span>{device}</h3>", StringComparison.Ordinal);
        Assert.True(name >= 0, $"no device {device} on the page");
        int start = page.LastIndexOf("<article", name, StringComparison.Ordinal);
        return page[start..(page.IndexOf("</article>", name, StringComparison.Ordinal) + "</article>".Length)];
    }

    /// <summary>Every element the page opens is closed in order (void elements aside), and it is one document.</summary>
    private static void AssertWellFormed(string page)
    {
        string[] voids = ["meta", "br", "img", "link", "hr", "input"];
        var open = new Stack<string>();
        foreach (Match tag in Tag().Matches(page[page.IndexOf("<html", StringComparison.Ordinal)..]))
        {
            string name = tag.Groups[2].Value.ToLowerInvariant();
            if (tag.Groups[1].Value == "/")
            {
                Assert.True(open.Count > 0 && open.Peek() == name, $"</{name}> closes {(open.Count > 0 ? open.Peek() : "nothing")}");
                open.Pop();
            }
            else if (!voids.Contains(name))
            {
                open.Push(name);
            }
        }

        Assert.Empty(open);
        Assert.StartsWith("<!DOCTYPE html>\n<html lang=\"en\">", page, StringComparison.Ordinal);
    }

    [GeneratedRegex("<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>")]
    private static partial Regex Tag();
}
