using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeExporter.Tests.Shared;
using Xunit.Abstractions;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// The status page as a technician sees it: the published binary runs the demo devices with
/// <c>--simulate</c> plus one device whose simulated sensor stops answering after a while, and
/// headless Chromium loads <c>/</c>. The DOM must show every device up with a reading in its unit,
/// then the failing one down with its readings gone, within its staleness window; an accessibility
/// pass checks the heading outline, table headers and captions, the language, the contrast of the
/// up/down markers as the browser computes their colours (WCAG 2 AA: 4.5:1), and that a phone's
/// width needs no sideways scrolling. Screenshots go to artifacts/test-results/ (not committed).
/// </summary>
public partial class StatusPageBrowserTests(ITestOutputHelper output)
{
    private const int FaultAfterSeconds = 15; // after the first poll of every demo device, the 15 s meter's included
    private const int IntervalSeconds = 1;
    private const int StalenessSeconds = 3 * IntervalSeconds; // PolledDevice.Staleness

    /// <summary>A reading each demo device must show, and the unit it is shown in.</summary>
    private static readonly (string Device, string Reading, string Unit)[] Expected =
    [
        ("room-sht31", "temperature", "°C"),
        ("lab-sht41", "humidity", "%"),
        ("hall-sht21", "humidity", "%"),
        ("attic-aht20", "temperature", "°C"),
        ("outdoor-bme280", "pressure", "hPa"),
        ("roof-bmp280", "pressure", "hPa"),
        ("solar-ina219", "voltage", "V"),
        ("rack-mcp9808", "temperature", "°C"),
        ("office-bh1750", "illuminance", "lx"),
        ("battery-ina226", "voltage", "V"),
        ("office-scd41", "co2", "ppm"),
        ("panel-ads1115", "voltage", "V"),
        ("tank-ds18b20", "temperature", "°C"),
        ("door", "gpio state", ""),
        ("energy-s0", "pulses", ""),
        ("house-sdm630", "voltage", "V"),
        ("heatpump-sdm120", "energy import", "kWh"),
        ("garage-sdm72", "power", "W"),
        ("wallbox-sdm230", "current", "A"),
        ("workshop-em24", "energy import", "kWh"),
        ("solar-b23", "current", "A"),
        ("boiler", "boiler temperature", "°C"),
        ("kitchen-pms5003", "particulate matter", "µg/m³"),
        ("gps", "gps latitude", "°"),
        ("failing-ina219", "voltage", "V"),
    ];

    private const string Model = """
        JSON.stringify({
          devices: [...document.querySelectorAll('article.device')].map(a => ({
            name: a.querySelector('h3').lastChild.textContent,
            state: a.classList.contains('up') ? 'up' : 'down',
            badge: a.querySelector('h3 .badge').textContent,
            readings: [...a.querySelectorAll('tbody tr')].map(r => [r.querySelector('th').firstChild.textContent.trim(), r.querySelector('td').textContent]),
          })),
          headings: [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => Number(h.tagName[1])),
          tables: [...document.querySelectorAll('table')].map(t => ({
            caption: t.caption ? t.caption.textContent : '',
            unscoped: [...t.querySelectorAll('th')].filter(th => !th.hasAttribute('scope')).length,
            headers: t.querySelectorAll('th').length,
            rows: t.tBodies.length ? t.tBodies[0].rows.length : 0,
          })),
          markers: [...document.querySelectorAll('.badge')].map(b => { const s = getComputedStyle(b); return [b.textContent, s.color, s.backgroundColor]; }),
          text: [getComputedStyle(document.body).color, getComputedStyle(document.documentElement).backgroundColor],
          lang: document.documentElement.lang,
          scripts: document.scripts.length,
          external: document.querySelectorAll('[src], link[href]').length,
          overflow: document.documentElement.scrollWidth - window.innerWidth,
        })
        """;

    [SkippableFact]
    public async Task Chromium_shows_every_device_and_a_failing_one_goes_down_within_its_staleness_window()
    {
        string chromium = Tools.Require("chromium");
        string directory = Directory.CreateTempSubdirectory("edge-status-").FullName;
        string config = Path.Combine(directory, "edge.yml");
        File.WriteAllText(config, File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "EdgeExporter", "Config", "demo.yml")).TrimEnd() + $$"""

              - name: failing-ina219
                model: ina219
                address: 0x4f                # beside the demo INA219 at 0x41
                shunt_ohms: 0.1
                interval: {{IntervalSeconds}}s
                retries: 0
                fault: { kind: nack, after: {{FaultAfterSeconds}}s }

            """);
        var clock = Stopwatch.StartNew();
        using ExporterProcess exporter = ExporterProcess.Start(ExporterProcess.Binary("linux-x64"), ["--simulate", $"--config.file={config}", "--web.listen-address=127.0.0.1:0"]);
        await using Chromium browser = await Chromium.StartAsync(chromium);
        string url = new Uri(exporter.BaseAddress, "/").ToString();
        await browser.SetViewportAsync(1280, 900, mobile: false);

        // Every device up, each with a reading in its unit (the first polls take a moment).
        JsonElement page = await WaitForAsync(browser, url, p => Expected.All(e => Reading(p, e.Device, e.Reading) is not null && State(p, e.Device) == "up"), TimeSpan.FromSeconds(30), exporter);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(FaultAfterSeconds), $"the devices took {clock.Elapsed.TotalSeconds:F1} s to show, past the fault: raise FaultAfterSeconds");
        foreach ((string device, string reading, string unit) in Expected)
        {
            string value = Reading(page, device, reading)!;
            Assert.Matches(unit.Length == 0 ? NumberOnly() : new Regex($"^-?[0-9.]+ {Regex.Escape(unit)}$"), value);
        }

        Assert.Equal(Expected.Length, page.GetProperty("devices").GetArrayLength());
        Accessible(page);
        Save("status-page.png", await browser.ScreenshotAsync());

        // The failing device: down, its readings gone, within its staleness window of the fault.
        page = await WaitForAsync(browser, url, p => State(p, "failing-ina219") == "down" && Readings(p, "failing-ina219") == 0, TimeSpan.FromSeconds(30), exporter);
        double shownDown = clock.Elapsed.TotalSeconds;
        output.WriteLine($"failing-ina219 shown down with no readings {shownDown - FaultAfterSeconds:F1} s after its fault began (interval {IntervalSeconds} s, staleness {StalenessSeconds} s)");
        Assert.InRange(shownDown, FaultAfterSeconds - 1, FaultAfterSeconds + IntervalSeconds + StalenessSeconds + 3); // 3 s: start-up before the clock and page polling
        Assert.Equal("down", Device(page, "failing-ina219").GetProperty("badge").GetString());
        Assert.All(Expected.Where(e => e.Device != "failing-ina219"), e => Assert.Equal("up", State(page, e.Device))); // the others keep flowing
        Accessible(page);

        // A phone: one column, nothing wider than the screen.
        await browser.SetViewportAsync(390, 844, mobile: true);
        await browser.NavigateAsync(url);
        page = JsonDocument.Parse(await browser.EvaluateAsync<string>(Model)).RootElement;
        Assert.True(page.GetProperty("overflow").GetInt32() <= 0, $"the page is {page.GetProperty("overflow").GetInt32()} px wider than a 390 px phone");
        Save("status-page-phone.png", await browser.ScreenshotAsync());
    }

    private static async Task<JsonElement> WaitForAsync(Chromium browser, string url, Func<JsonElement, bool> done, TimeSpan within, ExporterProcess exporter)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            await browser.NavigateAsync(url);
            JsonElement page = JsonDocument.Parse(await browser.EvaluateAsync<string>(Model)).RootElement;
            if (done(page))
            {
                return page;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the page did not show what was expected within {within.TotalSeconds} s:\n{page}\n{exporter.Log}");
            await Task.Delay(250);
        }
    }

    /// <summary>Headings in order without skipped levels, every table captioned with scoped headers, a language, no script or outside asset, and markers people can read.</summary>
    private static void Accessible(JsonElement page)
    {
        int[] levels = [.. page.GetProperty("headings").EnumerateArray().Select(h => h.GetInt32())];
        Assert.Equal(1, levels[0]);
        Assert.Equal(1, levels.Count(l => l == 1));
        for (int i = 1; i < levels.Length; i++)
        {
            Assert.True(levels[i] <= levels[i - 1] + 1, $"heading h{levels[i]} follows h{levels[i - 1]}: a level is skipped");
        }

        foreach (JsonElement table in page.GetProperty("tables").EnumerateArray())
        {
            Assert.NotEqual("", table.GetProperty("caption").GetString());
            Assert.Equal(0, table.GetProperty("unscoped").GetInt32());
            Assert.True(table.GetProperty("headers").GetInt32() > 0, $"table '{table.GetProperty("caption")}' has no header cells");
        }

        Assert.Equal("en", page.GetProperty("lang").GetString());
        Assert.Equal(0, page.GetProperty("scripts").GetInt32());
        Assert.Equal(0, page.GetProperty("external").GetInt32());
        JsonElement text = page.GetProperty("text");
        Assert.True(Contrast(text[0].GetString()!, text[1].GetString()!) >= 4.5, $"body text {text}");
        foreach (JsonElement marker in page.GetProperty("markers").EnumerateArray())
        {
            double ratio = Contrast(marker[1].GetString()!, marker[2].GetString()!);
            Assert.True(ratio >= 4.5, $"the '{marker[0]}' marker: {marker[1]} on {marker[2]} has a contrast of {ratio:F2}:1, under WCAG AA's 4.5:1");
        }
    }

    /// <summary>WCAG 2's contrast ratio of two CSS <c>rgb()</c> colours.</summary>
    private static double Contrast(string a, string b)
    {
        double la = Luminance(a), lb = Luminance(b);
        return (Math.Max(la, lb) + 0.05) / (Math.Min(la, lb) + 0.05);
    }

    private static double Luminance(string css)
    {
        double[] c = [.. Rgb().Match(css).Groups.Cast<Group>().Skip(1).Take(3).Select(g => double.Parse(g.Value, CultureInfo.InvariantCulture) / 255)];
        Assert.Equal(3, c.Length);
        double Linear(double v) => v <= 0.04045 ? v / 12.92 : Math.Pow((v + 0.055) / 1.055, 2.4);
        return (0.2126 * Linear(c[0])) + (0.7152 * Linear(c[1])) + (0.0722 * Linear(c[2]));
    }

    private static JsonElement Device(JsonElement page, string name) =>
        page.GetProperty("devices").EnumerateArray().FirstOrDefault(d => d.GetProperty("name").GetString() == name);

    private static string? State(JsonElement page, string name) =>
        Device(page, name) is { ValueKind: JsonValueKind.Object } d ? d.GetProperty("state").GetString() : null;

    private static int Readings(JsonElement page, string name) =>
        Device(page, name) is { ValueKind: JsonValueKind.Object } d ? d.GetProperty("readings").GetArrayLength() : -1;

    private static string? Reading(JsonElement page, string device, string reading) =>
        Device(page, device) is { ValueKind: JsonValueKind.Object } d
            ? d.GetProperty("readings").EnumerateArray().Where(r => r[0].GetString() == reading).Select(r => r[1].GetString()).FirstOrDefault()
            : null;

    private void Save(string name, byte[] png)
    {
        string path = Path.Combine(RepoPaths.Root, "artifacts", "test-results", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, png);
        output.WriteLine($"screenshot: artifacts/test-results/{name} ({png.Length} B)");
    }

    [GeneratedRegex(@"^-?[0-9.]+$")]
    private static partial Regex NumberOnly();

    [GeneratedRegex(@"rgba?\((\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?)")]
    private static partial Regex Rgb();
}
