using EdgeExporter.Metrics;

namespace EdgeExporter.Status;

/// <summary>
/// The page at <c>/</c> for the person in front of the device: which devices answer and what they
/// read, the host at a glance and the collectors' health, as plain server-rendered HTML (no script,
/// no external asset, styles inline, readable on a phone). It is a view of a scrape: made from the
/// text exposition the exporter has just written, so it shows what Prometheus would see and nothing
/// the metrics do not say. Written into a fixed buffer without allocating; a page that does not fit
/// ends with a note (see <see cref="HtmlWriter"/>). Every label value is escaped, since device
/// names and labels come from the config.
/// </summary>
/// <remarks>
/// Reads, by family: <c>edge_exporter_build_info</c>, <c>process_start_time_seconds</c>,
/// <c>node_boot_time_seconds</c>, <c>node_uname_info</c>; per device <c>edge_device_up</c> (the
/// device list, in config order), <c>edge_device_info</c>, <c>edge_device_last_success_timestamp_seconds</c>,
/// <c>edge_device_errors_total</c> and every <c>edge_*</c> reading series carrying the device's
/// <c>device</c> and <c>bus</c> labels; host rows from <c>node_load*</c>, <c>node_cpu_seconds_total</c>,
/// <c>node_memory_*</c>, <c>node_filesystem_*</c>, <c>node_thermal_zone_temp</c>,
/// <c>node_hwmon_temp_celsius</c> and <c>edge_raspberrypi_throttling_*</c>; collectors from
/// <c>node_scrape_collector_success</c> and <c>node_scrape_collector_duration_seconds</c>.
/// Each device section scans the body once: a page costs (devices + a few) passes over it.
/// </remarks>
internal static class StatusPage
{
    /// <summary>Room the page is given: enough for some 400 reading rows; past it the page is cut short.</summary>
    public const int MaxBytes = 256 * 1024;

    /// <summary>Filesystems and temperature sensors shown at most (the rest are in /metrics).</summary>
    private const int MaxHostRows = 16;

    private static ReadOnlySpan<byte> Style => """
        :root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.4;color:#1b1f24;background:#f6f8fa}
        body{margin:0 auto;max-width:72rem;padding:0.75rem}
        h1{font-size:1.5rem;margin:0.2rem 0}h2{font-size:1.2rem;margin:1.2rem 0 0.5rem}h3{font-size:1.05rem;margin:0 0 0.25rem}
        .build,.meta,.note{color:#424a53;font-size:0.9rem;margin:0.2rem 0}
        nav a{margin-right:1rem}a{color:#0550ae}
        .devices{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(17rem,100%),1fr));gap:0.75rem;align-items:start}
        .device,.panel{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:0.6rem 0.75rem}
        .device.down{border-color:#b42318;border-width:2px}
        .badge{display:inline-block;min-width:2.8rem;text-align:center;border-radius:4px;padding:0 0.35rem;font-size:0.8rem;font-weight:700;color:#fff;vertical-align:middle;margin-right:0.35rem}
        .badge.up{background:#116329}.badge.down{background:#b42318}
        table{border-collapse:collapse;width:100%;font-size:0.9rem}
        th,td{text-align:left;padding:0.15rem 0.4rem 0.15rem 0;border-bottom:1px solid #eaeef2;vertical-align:top;overflow-wrap:anywhere}
        thead th:last-child{text-align:right}
        th[scope=row]{font-weight:500}td.num{text-align:right;font-variant-numeric:tabular-nums}
        .labels{color:#424a53;font-size:0.8rem}
        .sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
        """u8;

    /// <summary>Writes the page for <paramref name="exposition"/> (a text-format body) as of <paramref name="now"/> (Unix seconds); returns its length.</summary>
    public static int Write(ReadOnlySpan<byte> exposition, Span<byte> destination, double now, ReadOnlySpan<byte> telemetryPath)
    {
        var html = new HtmlWriter(destination);
        html.Raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>EdgeExporter"u8);
        bool hasHost = Find(exposition, "node_uname_info"u8, out TextSampleLine uname) && uname.TryLabel("nodename"u8, out _);
        if (hasHost)
        {
            uname.TryLabel("nodename"u8, out ReadOnlySpan<byte> nodename);
            html.Raw(" on "u8);
            html.LabelValue(nodename);
        }

        html.Raw("</title>\n<style>\n"u8);
        html.Raw(Style);
        html.Raw("</style>\n</head>\n<body>\n<header>\n<h1>EdgeExporter"u8);
        if (hasHost)
        {
            uname.TryLabel("nodename"u8, out ReadOnlySpan<byte> nodename);
            html.Raw(" on "u8);
            html.LabelValue(nodename);
        }

        html.Raw("</h1>\n"u8);
        Build(ref html, exposition, now);
        html.Raw("<nav aria-label=\"Endpoints\"><a href=\""u8);
        html.Text(telemetryPath);
        html.Raw("\">Metrics</a> <a href=\"/-/healthy\">Healthy</a> <a href=\"/-/ready\">Ready</a></nav>\n</header>\n<main>\n"u8);
        Devices(ref html, exposition, now);
        Host(ref html, exposition);
        Collectors(ref html, exposition);
        return html.Close("</main>\n</body>\n</html>\n"u8);
    }

    private static void Build(ref HtmlWriter html, ReadOnlySpan<byte> exposition, double now)
    {
        html.Raw("<p class=\"build\">"u8);
        if (Find(exposition, "edge_exporter_build_info"u8, out TextSampleLine build))
        {
            html.Raw("Version "u8);
            Label(ref html, build, "version"u8);
            if (build.TryLabel("revision"u8, out ReadOnlySpan<byte> revision) && !revision.IsEmpty)
            {
                html.Raw(" (revision "u8);
                html.LabelValue(revision[..Math.Min(revision.Length, 12)]);
                html.Raw(")"u8);
            }

            html.Raw(", linux/"u8);
            Label(ref html, build, "goarch"u8);
            html.Raw(". "u8);
        }

        if (Find(exposition, "process_start_time_seconds"u8, out TextSampleLine started))
        {
            html.Raw("Exporter up "u8);
            html.Age(now - started.Value);
            html.Raw(". "u8);
        }

        if (Find(exposition, "node_boot_time_seconds"u8, out TextSampleLine boot))
        {
            html.Raw("Host up "u8);
            html.Age(now - boot.Value);
            html.Raw("."u8);
        }

        html.Raw("</p>\n"u8);
    }

    // ---- devices ----

    private static void Devices(ref HtmlWriter html, ReadOnlySpan<byte> exposition, double now)
    {
        int total = Count(exposition, "edge_device_up"u8, out int up);
        html.Raw("<section aria-labelledby=\"devices\">\n<h2 id=\"devices\">Devices</h2>\n"u8);
        if (total == 0)
        {
            html.Raw("<p>No devices are configured: the config's <code>devices:</code> list is empty.</p>\n</section>\n"u8);
            return;
        }

        html.Raw("<p>"u8);
        html.Integer(up);
        html.Raw(" of "u8);
        html.Integer(total);
        html.Raw(total == 1 ? " device up.</p>\n<div class=\"devices\">\n"u8 : " devices up.</p>\n<div class=\"devices\">\n"u8);
        var reader = new TextSampleReader(exposition);
        while (reader.Next(out TextSampleLine line))
        {
            if (line.Name.SequenceEqual("edge_device_up"u8) && line.TryLabel("device"u8, out ReadOnlySpan<byte> device))
            {
                Device(ref html, exposition, line, device, now);
            }
        }

        html.Raw("</div>\n</section>\n"u8);
    }

    private static void Device(ref HtmlWriter html, ReadOnlySpan<byte> exposition, TextSampleLine upLine, ReadOnlySpan<byte> device, double now)
    {
        bool isUp = upLine.Value == 1;
        html.Raw(isUp ? "<article class=\"device up\">\n<h3><span class=\"badge up\">up</span>"u8 : "<article class=\"device down\">\n<h3><span class=\"badge down\">down</span>"u8);
        html.LabelValue(device);
        html.Raw("</h3>\n<p class=\"meta\">"u8);
        Label(ref html, upLine, "model"u8);
        ReadOnlySpan<byte> deviceLabels = default;
        if (FindFor(exposition, "edge_device_info"u8, device, out TextSampleLine info))
        {
            deviceLabels = info.Labels;
            html.Raw(" on "u8);
            Label(ref html, info, "bus"u8);
            if (info.TryLabel("address"u8, out ReadOnlySpan<byte> address) && !address.IsEmpty)
            {
                html.Raw(" at "u8);
                html.LabelValue(address);
            }

            OwnLabels(ref html, info.Labels, default);
        }

        html.Raw(". Last success: "u8);
        if (FindFor(exposition, "edge_device_last_success_timestamp_seconds"u8, device, out TextSampleLine last))
        {
            html.Age(now - last.Value);
            html.Raw(" ago."u8);
        }
        else
        {
            html.Raw("never."u8);
        }

        html.Raw("</p>\n"u8);
        Readings(ref html, exposition, device, deviceLabels);
        Errors(ref html, exposition, device);
        html.Raw("</article>\n"u8);
    }

    private static void Readings(ref HtmlWriter html, ReadOnlySpan<byte> exposition, ReadOnlySpan<byte> device, ReadOnlySpan<byte> deviceLabels)
    {
        int rows = 0;
        var reader = new TextSampleReader(exposition);
        while (reader.Next(out TextSampleLine line))
        {
            if (!IsReading(line, device))
            {
                continue;
            }

            if (rows++ == 0)
            {
                html.Raw("<table>\n<caption class=\"sr\">Readings of "u8);
                html.LabelValue(device);
                html.Raw("</caption>\n<thead><tr><th scope=\"col\">Reading</th><th scope=\"col\">Value</th></tr></thead>\n<tbody>\n"u8);
            }

            Quantity quantity = Quantity.Of(line.Name);
            html.Raw("<tr><th scope=\"row\">"u8);
            html.Words(quantity.Name);
            OwnLabels(ref html, line.Labels, deviceLabels);
            html.Raw("</th><td class=\"num\">"u8);
            html.Number(line.Value * quantity.Scale, quantity.Format);
            if (!quantity.Symbol.IsEmpty)
            {
                html.Raw(" "u8);
                html.Raw(quantity.Symbol);
            }

            html.Raw("</td></tr>\n"u8);
        }

        html.Raw(rows == 0 ? "<p class=\"note\">No readings: none is fresh.</p>\n"u8 : "</tbody>\n</table>\n"u8);
    }

    /// <summary>A reading: an <c>edge_</c> series of this device with a <c>bus</c> label (health families have none).</summary>
    private static bool IsReading(TextSampleLine line, ReadOnlySpan<byte> device) =>
        line.Name.StartsWith("edge_"u8)
        && !line.Name.StartsWith("edge_device_"u8)
        && line.HasLabel("device"u8, device)
        && line.TryLabel("bus"u8, out _);

    /// <summary>
    /// The labels a series has beyond the device's identity and beyond <paramref name="shown"/> (the
    /// device's own, shown once above its readings): a phase, a satellite system.
    /// </summary>
    private static void OwnLabels(ref HtmlWriter html, ReadOnlySpan<byte> labels, ReadOnlySpan<byte> shown)
    {
        bool any = false;
        int i = 0;
        while (i < labels.Length)
        {
            int eq = labels[i..].IndexOf((byte)'=');
            if (eq < 0 || !TextSampleReader.TryLabelAt(labels, i + eq + 1, out ReadOnlySpan<byte> value, out int next))
            {
                break;
            }

            ReadOnlySpan<byte> key = labels.Slice(i, eq);
            bool identity = key.SequenceEqual("device"u8) || key.SequenceEqual("model"u8) || key.SequenceEqual("bus"u8) || key.SequenceEqual("address"u8);
            if (!identity && !(TextSampleReader.TryLabel(shown, key, out ReadOnlySpan<byte> same) && same.SequenceEqual(value)))
            {
                html.Raw(any ? ", "u8 : " <span class=\"labels\">"u8);
                html.Text(key);
                html.Raw("="u8);
                html.LabelValue(value);
                any = true;
            }

            i = next;
        }

        if (any)
        {
            html.Raw("</span>"u8);
        }
    }

    private static void Errors(ref HtmlWriter html, ReadOnlySpan<byte> exposition, ReadOnlySpan<byte> device)
    {
        html.Raw("<p class=\"meta\">Errors: "u8);
        bool any = false;
        var reader = new TextSampleReader(exposition);
        while (reader.Next(out TextSampleLine line))
        {
            if (line.Value > 0 && line.Name.SequenceEqual("edge_device_errors_total"u8) && line.HasLabel("device"u8, device))
            {
                html.Raw(any ? ", "u8 : default);
                Label(ref html, line, "kind"u8);
                html.Raw(" "u8);
                html.Number(line.Value, "0");
                any = true;
            }
        }

        html.Raw(any ? ".</p>\n"u8 : "none.</p>\n"u8);
    }

    // ---- host ----

    private static void Host(ref HtmlWriter html, ReadOnlySpan<byte> exposition)
    {
        html.Raw("<section aria-labelledby=\"host\">\n<h2 id=\"host\">Host</h2>\n<div class=\"panel\">\n<table>\n<caption class=\"sr\">Host summary</caption>\n<tbody>\n"u8);
        if (Find(exposition, "node_load1"u8, out TextSampleLine load1))
        {
            html.Raw("<tr><th scope=\"row\">Load (1, 5, 15 min)</th><td class=\"num\">"u8);
            html.Number(load1.Value, "0.00");
            if (Find(exposition, "node_load5"u8, out TextSampleLine load5) && Find(exposition, "node_load15"u8, out TextSampleLine load15))
            {
                html.Raw(", "u8);
                html.Number(load5.Value, "0.00");
                html.Raw(", "u8);
                html.Number(load15.Value, "0.00");
            }

            int cpus = CountCpus(exposition);
            if (cpus > 0)
            {
                html.Raw(" on "u8);
                html.Integer(cpus);
                html.Raw(cpus == 1 ? " CPU"u8 : " CPUs"u8);
            }

            html.Raw("</td></tr>\n"u8);
        }

        if (Find(exposition, "node_memory_MemTotal_bytes"u8, out TextSampleLine memTotal) && Find(exposition, "node_memory_MemAvailable_bytes"u8, out TextSampleLine memAvailable))
        {
            html.Raw("<tr><th scope=\"row\">Memory</th><td class=\"num\">"u8);
            Used(ref html, memTotal.Value, memAvailable.Value, " available"u8);
            html.Raw("</td></tr>\n"u8);
        }

        Filesystems(ref html, exposition);
        Temperatures(ref html, exposition);
        Throttling(ref html, exposition);
        html.Raw("</tbody>\n</table>\n</div>\n</section>\n"u8);
    }

    private static int CountCpus(ReadOnlySpan<byte> exposition)
    {
        int cpus = 0;
        var reader = new TextSampleReader(exposition);
        while (reader.Next(out TextSampleLine line))
        {
            cpus += line.Name.SequenceEqual("node_cpu_seconds_total"u8) && line.HasLabel("mode"u8, "idle"u8) ? 1 : 0;
        }

        return cpus;
    }

    private static void Filesystems(ref HtmlWriter html, ReadOnlySpan<byte> exposition)
    {
        int rows = 0;
        var reader = new TextSampleReader(exposition);
        while (reader.Next(out TextSampleLine size) && rows < MaxHostRows)
        {
            if (!size.Name.SequenceEqual("node_filesystem_size_bytes"u8) || size.Value <= 0 || !size.TryLabel("mountpoint"u8, out ReadOnlySpan<byte> mountpoint))
            {
                continue;
            }

            // The same series' free space: the same label block under node_filesystem_avail_bytes.
            var inner = new TextSampleReader(exposition);
            while (inner.Next(out TextSampleLine avail))
            {
                if (avail.Name.SequenceEqual("node_filesystem_avail_bytes"u8) && avail.Labels.SequenceEqual(size.Labels))
                {
                    html.Raw("<tr><th scope=\"row\">Disk "u8);
                    html.LabelValue(mountpoint);
                    html.Raw("</th><td class=\"num\">"u8);
                    Used(ref html, size.Value, avail.Value, " free"u8);
                    html.Raw("</td></tr>\n"u8);
                    rows++;
                    break;
                }
            }
        }
    }

    private static void Temperatures(ref HtmlWriter html, ReadOnlySpan<byte> exposition)
    {
        int rows = 0;
        var reader = new TextSampleReader(exposition);
        while (reader.Next(out TextSampleLine line) && rows < MaxHostRows)
        {
            bool zone = line.Name.SequenceEqual("node_thermal_zone_temp"u8);
            if (!zone && !line.Name.SequenceEqual("node_hwmon_temp_celsius"u8))
            {
                continue;
            }

            html.Raw("<tr><th scope=\"row\">Temperature "u8);
            if (zone)
            {
                Label(ref html, line, "type"u8);
            }
            else
            {
                Label(ref html, line, "chip"u8);
                html.Raw(" "u8);
                Label(ref html, line, "sensor"u8);
            }

            html.Raw("</th><td class=\"num\">"u8);
            html.Number(line.Value, "0.0");
            html.Raw(" °C</td></tr>\n"u8);
            rows++;
        }
    }

    private static void Throttling(ref HtmlWriter html, ReadOnlySpan<byte> exposition)
    {
        if (!Find(exposition, "edge_raspberrypi_throttling_now"u8, out _))
        {
            return;
        }

        html.Raw("<tr><th scope=\"row\">Raspberry Pi throttling</th><td>Now: "u8);
        Flags(ref html, exposition, "edge_raspberrypi_throttling_now"u8);
        html.Raw(". Since boot: "u8);
        Flags(ref html, exposition, "edge_raspberrypi_throttling_since_boot"u8);
        html.Raw(".</td></tr>\n"u8);
    }

    private static void Flags(ref HtmlWriter html, ReadOnlySpan<byte> exposition, ReadOnlySpan<byte> family)
    {
        bool any = false;
        var reader = new TextSampleReader(exposition);
        while (reader.Next(out TextSampleLine line))
        {
            if (line.Value == 1 && line.Name.SequenceEqual(family) && line.TryLabel("flag"u8, out ReadOnlySpan<byte> flag))
            {
                html.Raw(any ? ", <strong>"u8 : "<strong>"u8);
                html.LabelValue(flag);
                html.Raw("</strong>"u8);
                any = true;
            }
        }

        if (!any)
        {
            html.Raw("none"u8);
        }
    }

    // ---- collectors ----

    private static void Collectors(ref HtmlWriter html, ReadOnlySpan<byte> exposition)
    {
        html.Raw("<section aria-labelledby=\"collectors\">\n<h2 id=\"collectors\">Collectors</h2>\n<div class=\"panel\">\n"u8);
        int rows = Count(exposition, "node_scrape_collector_success"u8, out int succeeded);

        if (rows == 0)
        {
            html.Raw("<p>No host collectors are enabled.</p>\n</div>\n</section>\n"u8);
            return;
        }

        html.Raw("<p>"u8);
        html.Integer(succeeded);
        html.Raw(" of "u8);
        html.Integer(rows);
        html.Raw(" succeeded in this scrape.</p>\n<table>\n<caption class=\"sr\">Host collectors</caption>\n<thead><tr><th scope=\"col\">Collector</th><th scope=\"col\">State</th><th scope=\"col\">Duration</th></tr></thead>\n<tbody>\n"u8);
        var reader = new TextSampleReader(exposition);
        while (reader.Next(out TextSampleLine line))
        {
            if (!line.Name.SequenceEqual("node_scrape_collector_success"u8) || !line.TryLabel("collector"u8, out ReadOnlySpan<byte> collector))
            {
                continue;
            }

            html.Raw("<tr><th scope=\"row\">"u8);
            html.LabelValue(collector);
            html.Raw(line.Value == 1 ? "</th><td><span class=\"badge up\">ok</span></td><td class=\"num\">"u8 : "</th><td><span class=\"badge down\">failed</span></td><td class=\"num\">"u8);
            if (FindWith(exposition, "node_scrape_collector_duration_seconds"u8, "collector"u8, collector, out TextSampleLine duration))
            {
                html.Number(duration.Value * 1000, "0.#");
                html.Raw(" ms"u8);
            }

            html.Raw("</td></tr>\n"u8);
        }

        html.Raw("</tbody>\n</table>\n</div>\n</section>\n"u8);
    }

    // ---- lookups ----

    /// <summary>The samples of a family, and how many of them are 1 (devices up, collectors that succeeded).</summary>
    private static int Count(ReadOnlySpan<byte> exposition, ReadOnlySpan<byte> family, out int ones)
    {
        int count = 0;
        ones = 0;
        var reader = new TextSampleReader(exposition);
        while (reader.Next(out TextSampleLine line))
        {
            if (line.Name.SequenceEqual(family))
            {
                count++;
                ones += line.Value == 1 ? 1 : 0;
            }
        }

        return count;
    }

    private static void Label(ref HtmlWriter html, TextSampleLine line, ReadOnlySpan<byte> name)
    {
        if (line.TryLabel(name, out ReadOnlySpan<byte> value))
        {
            html.LabelValue(value);
        }
    }

    private static void Used(ref HtmlWriter html, double total, double free, ReadOnlySpan<byte> freeWord)
    {
        Bytes(ref html, free);
        html.Raw(" of "u8);
        Bytes(ref html, total);
        html.Raw(freeWord);
        html.Raw(" ("u8);
        html.Number(total > 0 ? (total - free) / total * 100 : 0, "0");
        html.Raw(" % used)"u8);
    }

    private static void Bytes(ref HtmlWriter html, double bytes)
    {
        ReadOnlySpan<byte> units = "B  KiBMiBGiBTiB"u8;
        int power = 0;
        while (power < 4 && bytes >= 1024)
        {
            bytes /= 1024;
            power++;
        }

        html.Number(bytes, "0.#");
        html.Raw(" "u8);
        html.Raw(units.Slice(power * 3, 3).TrimEnd((byte)' '));
    }

    private static bool Find(ReadOnlySpan<byte> exposition, ReadOnlySpan<byte> name, out TextSampleLine found)
    {
        var reader = new TextSampleReader(exposition);
        while (reader.Next(out found))
        {
            if (found.Name.SequenceEqual(name))
            {
                return true;
            }
        }

        return false;
    }

    private static bool FindFor(ReadOnlySpan<byte> exposition, ReadOnlySpan<byte> name, ReadOnlySpan<byte> device, out TextSampleLine found) =>
        FindWith(exposition, name, "device"u8, device, out found);

    private static bool FindWith(ReadOnlySpan<byte> exposition, ReadOnlySpan<byte> name, ReadOnlySpan<byte> label, ReadOnlySpan<byte> value, out TextSampleLine found)
    {
        var reader = new TextSampleReader(exposition);
        while (reader.Next(out found))
        {
            if (found.Name.SequenceEqual(name) && found.HasLabel(label, value))
            {
                return true;
            }
        }

        return false;
    }
}
