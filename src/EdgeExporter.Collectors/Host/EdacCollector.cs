using EdgeExporter.Hardware.Files;
using EdgeExporter.Metrics;

namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Memory error counts from the EDAC memory controllers in <c>/sys/devices/system/edac/mc/mc&lt;N&gt;/</c>
/// (kernel Documentation/admin-guide/ras.rst), as node_exporter's edac collector reports them
/// (collector/edac_linux.go): per controller <c>node_edac_{correctable,uncorrectable}_errors_total</c>,
/// per csrow <c>node_edac_csrow_{correctable,uncorrectable}_errors_total{controller,csrow}</c> with the
/// errors no row could be blamed for as <c>csrow="unknown"</c>, and per channel of a csrow
/// <c>node_edac_channel_{correctable,uncorrectable}_errors_total{controller,csrow,channel,dimm_label}</c>.
/// The DIMM label is the channel's <c>chN_dimm_label</c> with node_exporter's rewriting (the kernel's
/// default "mc#0csrow#1channel#0" becomes "mc0_csrow1_channel0"), "unknown" when it cannot be read;
/// it is read at start-up, with the controllers, rows and channels. The controller and csrow counts must
/// be readable and decimal, or the collector fails, as node_exporter's; a channel count that cannot be
/// read (many drivers have no <c>chN_ue_count</c>) is left out.
/// </summary>
public sealed class EdacCollector : Collector
{
    /// <summary>The collector's name, default, flags and factory (see <see cref="CollectorRegistration"/>).</summary>
    public static CollectorRegistration Registration { get; } = new("edac", true, "/sys/devices/system/edac/mc: corrected and uncorrected memory errors", (store, paths, _) => new EdacCollector(store, paths));

    private readonly Count[] _required;
    private readonly Count[] _optional;

    public EdacCollector(MetricStore store, HostPaths paths)
        : base("edac")
    {
        string directory = paths.Sys("devices/system/edac/mc");
        MetricFamily ce = store.AddFamily("node_edac_correctable_errors_total", "Total correctable memory errors.", MetricType.Counter, "controller");
        MetricFamily ue = store.AddFamily("node_edac_uncorrectable_errors_total", "Total uncorrectable memory errors.", MetricType.Counter, "controller");
        MetricFamily csrowCe = store.AddFamily(
            "node_edac_csrow_correctable_errors_total", "Total correctable memory errors for this csrow.", MetricType.Counter, "controller", "csrow");
        MetricFamily csrowUe = store.AddFamily(
            "node_edac_csrow_uncorrectable_errors_total", "Total uncorrectable memory errors for this csrow.", MetricType.Counter, "controller", "csrow");
        MetricFamily channelCe = store.AddFamily(
            "node_edac_channel_correctable_errors_total", "Total correctable memory errors for this channel.", MetricType.Counter, "controller", "csrow", "channel", "dimm_label");
        MetricFamily channelUe = store.AddFamily(
            "node_edac_channel_uncorrectable_errors_total", "Total uncorrectable memory errors for this channel.", MetricType.Counter, "controller", "csrow", "channel", "dimm_label");

        var required = new List<Count>();
        var optional = new List<Count>();
        var controllers = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string mc, string controller) in Numbered(directory, "mc"))
        {
            if (!controllers.Add(controller))
            {
                continue; // "mc0" and "mc0x" both read as controller 0 in node_exporter (a duplicate it cannot export either)
            }

            Count Required(string file, MetricFamily family, params string[] labels) =>
                new(PseudoFile.Attribute(Path.Combine(mc, file)), Own(family.AddSeries(labels)));

            required.Add(Required("ce_count", ce, controller));
            required.Add(Required("ce_noinfo_count", csrowCe, controller, "unknown"));
            required.Add(Required("ue_count", ue, controller));
            required.Add(Required("ue_noinfo_count", csrowUe, controller, "unknown"));
            var rows = new HashSet<string>(StringComparer.Ordinal);
            foreach ((string rowDir, string csrow) in Numbered(mc, "csrow"))
            {
                if (!rows.Add(csrow))
                {
                    continue;
                }

                required.Add(new Count(PseudoFile.Attribute(Path.Combine(rowDir, "ce_count")), Own(csrowCe.AddSeries(controller, csrow))));
                required.Add(new Count(PseudoFile.Attribute(Path.Combine(rowDir, "ue_count")), Own(csrowUe.AddSeries(controller, csrow))));
                var channels = new HashSet<string>(StringComparer.Ordinal);
                foreach (string channel in Channels(rowDir))
                {
                    if (!channels.Add(channel))
                    {
                        continue;
                    }

                    string label = DimmLabel(Path.Combine(rowDir, $"ch{channel}_dimm_label"));
                    optional.Add(new Count(PseudoFile.Attribute(Path.Combine(rowDir, $"ch{channel}_ce_count")), Own(channelCe.AddSeries(controller, csrow, channel, label))));
                    optional.Add(new Count(PseudoFile.Attribute(Path.Combine(rowDir, $"ch{channel}_ue_count")), Own(channelUe.AddSeries(controller, csrow, channel, label))));
                }
            }
        }

        _required = [.. required];
        _optional = [.. optional];
        if (_required.Length == 0)
        {
            NoDataReason = $"no memory controllers in {directory}: no EDAC driver is loaded (or the memory has no ECC)";
        }
    }

    public override CollectorOutcome Update()
    {
        if (_required.Length == 0)
        {
            return CollectorOutcome.NoData;
        }

        foreach (Count count in _required)
        {
            if (!count.Refresh(required: true))
            {
                throw new IOException($"{count.File.Path} cannot be read");
            }
        }

        foreach (Count count in _optional)
        {
            if (!count.Refresh(required: false))
            {
                count.Series.Hide();
            }
        }

        return CollectorOutcome.Success;
    }

    /// <summary>
    /// node_exporter's rewriting of a DIMM label: white space trimmed, '#' removed, and "csrow" and
    /// "channel" set off by an underscore, so the kernel's default label reads as a name.
    /// </summary>
    public static string DimmLabel(string file)
    {
        string text;
        try
        {
            text = SysfsValue.ToLabel(SysfsValue.TrimSpace(BoundedFile.Read(file, BoundedFile.SmallTextBytes)));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }

        return text.Replace("#", "", StringComparison.Ordinal)
            .Replace("csrow", "_csrow", StringComparison.Ordinal)
            .Replace("channel", "_channel", StringComparison.Ordinal);
    }

    /// <summary>
    /// Entries <c>&lt;prefix&gt;&lt;digit&gt;*</c> (Go's glob <c>mc[0-9]*</c>) and the digits after the prefix,
    /// which node_exporter takes as the number: a label, never parsed, so no name can overflow it.
    /// </summary>
    private static IEnumerable<(string Path, string Number)> Numbered(string directory, string prefix)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var numbered = new List<(string Path, string Number)>();
        foreach (string path in DirectoryListing.Entries(directory, prefix + "*"))
        {
            string name = Path.GetFileName(path);
            if (name.Length > prefix.Length && char.IsAsciiDigit(name[prefix.Length]) && Directory.Exists(path))
            {
                ReadOnlySpan<char> number = name.AsSpan(prefix.Length);
                int end = number.IndexOfAnyExceptInRange('0', '9');
                numbered.Add((path, (end < 0 ? number : number[..end]).ToString()));
            }
        }

        return numbered;
    }

    /// <summary>The channel numbers of a csrow's <c>ch&lt;N&gt;_ce_count</c> files.</summary>
    private static IEnumerable<string> Channels(string csrow)
    {
        string[] files = Directory.GetFiles(csrow, "ch*_ce_count");
        Array.Sort(files, StringComparer.Ordinal);
        var channels = new List<string>();
        foreach (string file in files)
        {
            string name = Path.GetFileName(file);
            if (name.Length > "ch_ce_count".Length && !name.AsSpan(2..^"_ce_count".Length).ContainsAnyExceptInRange('0', '9'))
            {
                channels.Add(name[2..^"_ce_count".Length]);
            }
        }

        return channels;
    }

    /// <summary>One count file (decimal, as node_exporter's readUintFromFile reads it) and its counter.</summary>
    private sealed record Count(PseudoFile File, Series Series)
    {
        /// <summary>False when the file cannot be read, or (unless required, which throws) is not a count.</summary>
        public bool Refresh(bool required)
        {
            if (!File.TryRead(out ReadOnlySpan<byte> text))
            {
                return false;
            }

            if (!SysfsValue.TryParseUInt64(SysfsValue.TrimSpace(text), out ulong value))
            {
                return required ? throw new FormatException($"{File.Path}: not a count") : false;
            }

            Series.Set(value);
            return true;
        }
    }
}
