using System.Text;
using EdgeExporter.Collectors;
using EdgeExporter.Hardware.Simulation;

namespace EdgeExporter.Config;

/// <summary>Where the configuration comes from: --config.file, or one of the two built into the binary.</summary>
public static class ConfigSource
{
    /// <summary>No devices: the host collectors only.</summary>
    public const string DefaultName = "<built-in default.yml>";

    /// <summary>One device of every driver, for --simulate.</summary>
    public const string DemoName = "<built-in demo.yml>";

    public static ExporterConfig Load(ExporterOptions options)
    {
        if (options.ConfigFile is { } path)
        {
            return ConfigLoader.LoadFile(path);
        }

        return options.Simulate ? Builtin("demo.yml", DemoName) : Builtin("default.yml", DefaultName);
    }

    public static ExporterConfig Builtin(string file, string name)
    {
        using Stream stream = typeof(ConfigSource).Assembly.GetManifestResourceStream($"config/{file}")
            ?? throw new InvalidOperationException($"config/{file} is not embedded");
        using var reader = new StreamReader(stream);
        return ConfigLoader.Load(reader.ReadToEnd(), name);
    }

    /// <summary>What --config.check prints for a valid config: one line per device, with its defaults resolved.</summary>
    public static string Summary(ExporterConfig config)
    {
        var text = new StringBuilder();
        text.Append(config.Source).Append(": valid; ")
            .Append(config.Devices.Count).Append(config.Devices.Count == 1 ? " device" : " devices")
            .Append(config.Board is { } board ? $" on board {board.Name}" : "").Append('\n');
        foreach (DeviceConfig device in config.Devices)
        {
            text.Append("  ").Append(device.Name).Append(": ").Append(device.Profile.Model)
                .Append(" bus=").Append(device.BusLabel).Append(" address=").Append(device.AddressLabel)
                .Append(" interval=").Append(Durations.Format(device.Poll.Interval))
                .Append(" timeout=").Append(Durations.Format(device.Poll.Timeout));
            if (device.Gateway is { } gateway)
            {
                text.Append(" framing=").Append(gateway.Framing == Collectors.Serial.ModbusFraming.Tcp ? "tcp" : "rtu");
            }

            var settings = new List<KeyValuePair<string, string>>(device.Settings);
            settings.Sort((a, b) => StringComparer.Ordinal.Compare(a.Key, b.Key)); // keys are unique: no order to keep among equals
            foreach (KeyValuePair<string, string> setting in settings)
            {
                if (device.Gateway is not null && Array.IndexOf(ConfigLoader.LineKeys, setting.Key) >= 0)
                {
                    continue; // the gateway's line settings, not the exporter's
                }

                text.Append(' ').Append(setting.Key).Append('=').Append(setting.Value);
            }

            if (device.Fault is { } fault)
            {
                text.Append(" fault=").Append(SimulatedFaults.Name(fault.Kind));
            }

            text.Append('\n');
        }

        if (config.Push is { } push)
        {
            foreach (RemoteWriteConfig remote in push.Remotes)
            {
                QueueSettings queue = remote.Queue;
                text.Append("  remote_write ").Append(remote.Name).Append(": ").Append(remote.Endpoint.Url)
                    .Append(" push_interval=").Append(Durations.Format(push.PushInterval))
                    .Append(" remote_timeout=").Append(Durations.Format(remote.RemoteTimeout))
                    .Append(" max_samples_per_send=").Append(queue.MaxSamplesPerSend)
                    .Append(" backoff=").Append(Durations.Format(queue.MinBackoff)).Append("..").Append(Durations.Format(queue.MaxBackoff))
                    .Append(" retry_on_http_429=").Append(queue.RetryOnHttp429 ? "true" : "false")
                    .Append(push.QueueDirectory is { } dir ? $" queue=disk:{Path.Combine(dir, remote.Name)} max_disk={push.QueueMaxDiskBytes}B" : $" queue=memory:{queue.MemoryQueueBytes}B")
                    .Append(" write_relabel_configs=").Append(remote.Relabel.Count)
                    .Append(" external_labels=").Append(push.ExternalLabels.Count)
                    .Append('\n');
            }
        }

        return text.ToString();
    }
}
