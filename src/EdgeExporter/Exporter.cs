using System.Net;
using System.Runtime.InteropServices;
using EdgeExporter.Collectors;
using EdgeExporter.Collectors.Devices;
using EdgeExporter.Collectors.Exporter;
using EdgeExporter.Config;
using EdgeExporter.Http;
using EdgeExporter.Metrics;
using EdgeExporter.RemoteWrite;
using EdgeExporter.RemoteWrite.Queue;

namespace EdgeExporter;

/// <summary>
/// The composition root: builds the plan (every family and series) from the options, seals it,
/// starts the device pollers and serves scrapes. A scrape runs the host collectors, then writes the
/// store into the connection's buffer; it never waits for a device. With remote_write configured it
/// also pushes: the same collection, on the push interval, into the remote write queues.
/// </summary>
public sealed class Exporter : IMetricsEndpoint, ISampleSource, IAsyncDisposable
{
    private readonly ExporterOptions _options;
    private readonly Logger _log;
    private readonly MetricStore _store = new();
    private readonly Collector[] _self;
    private readonly CollectorSet _host;
    private readonly bool[] _selection;
    private readonly Series _scrapes;
    private readonly Histogram[] _scrapeDuration;
    private readonly DeviceSet _devices;
    private readonly object _collectGate = new();
    private readonly byte[] _telemetryPath;
    // The scrape the status page is made from: native, committed page by page as bodies reach it,
    // allocated on the first page asked for. The renderer thread alone uses it.
    private unsafe byte* _pageScrape;
    private readonly PushSampler? _push;
    private MetricsServer? _server;

    public Exporter(ExporterOptions options, ExporterConfig config, Logger log)
    {
        _options = options;
        _telemetryPath = System.Text.Encoding.UTF8.GetBytes(options.TelemetryPath);
        _log = log;

        _store.AddFamily(
                "edge_exporter_build_info",
                "A metric with a constant '1' value labeled by version, revision, goos and goarch from which edge_exporter was built.",
                MetricType.Gauge,
                "version", "revision", "goos", "goarch")
            .AddSeries(BuildInfo.Version, BuildInfo.Revision, "linux", GoArch)
            .Set(1);
        _scrapes = _store.AddFamily("edge_exporter_scrapes_total", "Scrapes of the telemetry path served since start.", MetricType.Counter)
            .WithCreated()
            .AddSeries();
        MetricFamily scrapeDuration = _store.AddHistogramFamily(
                "edge_exporter_scrape_duration_seconds",
                "Time to collect the host metrics and write a scrape's body, by format.",
                [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
                "format")
            .WithUnit("seconds")
            .WithCreated();
        _scrapeDuration = [scrapeDuration.AddHistogram("text"), scrapeDuration.AddHistogram("openmetrics")];
        _self = [new ProcessCollector(_store), new RuntimeCollector(_store)];

        var enabled = new List<CollectorRegistration>();
        foreach (CollectorRegistration entry in CollectorCatalog.All)
        {
            if (options.EnabledCollectors.Contains(entry.Name))
            {
                enabled.Add(entry);
            }
        }

        List<Collector> host = new CollectorStartup(_store, options)
        {
            Unavailable = (name, error) => log.Warn("collector unavailable", ("collector", name), ("err", error.Message)),
        }.Build(enabled);

        foreach (Collector collector in host)
        {
            collector.Warning = (c, message) => log.Warn("collector warning", ("collector", c.Name), ("err", message));
        }

        _host = new CollectorSet(_store, host, options.CollectorTimeout)
        {
            Failed = (collector, error) => log.Error("collector failed", ("collector", collector.Name), ("err", error.Message)),
            Recovered = collector => log.Info("collector recovered", ("collector", collector.Name)),
            NoData = collector => log.Info("collector has no data on this machine", ("collector", collector.Name), ("reason", collector.NoDataReason)),
        };

        _selection = new bool[host.Count];
        var deviceMetrics = new DeviceMetrics(_store, config.UserLabels);
        var factory = new DeviceFactory(deviceMetrics, options.Paths, options.Simulate, serial: SerialChannels.Open(options.SerialChannel))
        {
            PortOpened = channel =>
            {
                log.Info("serial port opened", ("port", channel.Settings.Path), ("settings", channel.Settings.Format));
                if (!channel.ParityApplied)
                {
                    log.Warn("serial port cannot apply parity or data bits (a pseudo-terminal?); using it as it is", ("port", channel.Settings.Path), ("settings", channel.Settings.Format));
                }

                if (channel.Settings.Rs485 && !channel.Rs485Applied)
                {
                    log.Warn("serial driver has no RS-485 mode (TIOCSRS485); the adapter must switch the line itself", ("port", channel.Settings.Path));
                }
            },
            GatewayConnected = (gateway, channel) => log.Info("modbus gateway connected", ("gateway", gateway.Name), ("local", channel.Local?.ToString() ?? ""), ("framing", gateway.Framing == Collectors.Serial.ModbusFraming.Tcp ? "tcp" : "rtu")),
            GatewayLost = (gateway, why) => log.Warn("modbus gateway connection failed", ("gateway", gateway.Name), ("err", why)),
        };
        IReadOnlyList<PolledDevice> devices = factory.Create(config);
        if (!options.Simulate && HasFault(config.Devices))
        {
            log.Warn("fault injection only takes effect with --simulate", ("config", config.Source));
        }

        List<(RemoteWriteConfig Config, RemoteSeries Series)> remotes = [];
        RemoteWriteMetrics? pushMetrics = null;
        if (config.Push is { } push)
        {
            pushMetrics = new RemoteWriteMetrics(_store);
            foreach (RemoteWriteConfig remote in push.Remotes)
            {
                remotes.Add((remote, pushMetrics.For(remote.Name, remote.Endpoint.Url)));
            }
        }

        _store.Seal();
        if (config.Push is { } pushConfig)
        {
            _push = new PushSampler(this, Targets(pushConfig, remotes, log), pushConfig.PushInterval, pushConfig.FlushInterval, pushMetrics!.HighestTimestamp);
        }

        _devices = new DeviceSet(
            devices,
            failed: (d, error) => log.Warn(
                "device poll failed",
                ("device", d.Identity.Name),
                ("kind", error.ToString().ToLowerInvariant()),
                ("err", d.Problem)),
            recovered: d => log.Info("device recovered", ("device", d.Identity.Name)));
        log.Info(
            "plan sealed",
            ("families", _store.Families.Count),
            ("series", _store.SeriesCount),
            ("max_body_bytes", MaxBodyBytes),
            ("collectors", string.Join(",", host.ConvertAll(c => c.Name))),
            ("config", config.Source),
            ("simulated", options.Simulate),
            ("devices", devices.Count));
    }

    /// <summary>Go's name for this architecture, as node_exporter reports it in build_info.</summary>
    public static string GoArch => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        var other => other.ToString().ToLowerInvariant(),
    };

    public int MaxStatusPageBytes => Status.StatusPage.MaxBytes;

    public int MaxBodyBytes => Math.Max(_store.MaxBytes(ExpositionFormat.Text), _store.MaxBytes(ExpositionFormat.OpenMetrics));

    public IReadOnlyList<System.Net.EndPoint> LocalEndpoints => _server?.LocalEndpoints ?? [];

    /// <summary>--web.config.file as read at start (null for none): re-read by the server while it runs.</summary>
    public WebConfig? WebConfig { get; init; }

    public void Start()
    {
        _devices.Start();
        _push?.Start();
        var addresses = new List<IPEndPoint>(_options.ListenAddresses.Count);
        foreach (string address in _options.ListenAddresses)
        {
            addresses.Add(ListenAddress.Parse(address));
        }

        TlsOptions? tls = _options.Tls ?? WebConfig?.ToTlsOptions();
        WebConfigWatcher? watcher = WebConfig is { } web && _options.WebConfigFile is { } webFile ? new WebConfigWatcher(webFile, _log, web) : null;
        _server = new MetricsServer(
            new HttpServerOptions
            {
                Access = WebConfig?.ToAccess(),
                RefreshAccess = watcher is null ? null : watcher.Refresh,
                ListenAddresses = addresses,
                TelemetryPath = _options.TelemetryPath,
                MaxRequestsInFlight = _options.MaxRequests,
                Tls = tls,
                // Within the descriptor limit, leaving room for the files, ports and devices the
                // collectors hold: past it, the stalled connection goes rather than accept failing.
                MaxConnections = (int)Math.Clamp((long)Math.Min(ProcessLimits.OpenFiles, int.MaxValue) - 48, 4, 1024),
            },
            this)
        {
            Error = (message, error) => _log.Error(message, ("err", error.Message)),
        };
        _server.Start();
        foreach (System.Net.EndPoint endpoint in _server.LocalEndpoints)
        {
            _log.Info("Listening on", ("address", endpoint));
        }

        if (tls is not null)
        {
            _log.Info("TLS is enabled.", ("http2", "false")); // exporter-toolkit's line; HTTP/1.1 only here
        }
    }

    public int WriteBody(Span<byte> destination, ExpositionFormat format) => WriteBody(destination, format, default, out _);

    /// <summary>
    /// A scrape, with node_exporter's <c>collect[]=&lt;name&gt;</c> (only these collectors) or
    /// <c>exclude[]=&lt;name&gt;</c> (all but these) in the query; both at once, or a collector that
    /// is not enabled, is a 400 with node_exporter's wording.
    /// </summary>
    public int WriteBody(Span<byte> destination, ExpositionFormat format, ReadOnlySpan<byte> query, out byte[]? problem)
    {
        problem = null;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        _scrapes.Increment();

        // Only collecting takes turns (the collectors share their read buffers). Writing reads the
        // store, which is safe alongside writers, so concurrent scrapes write in parallel.
        lock (_collectGate)
        {
            UpdateSelf();
            if (!CollectorQuery.TrySelect(query, _host.Collectors, _selection, out bool filtered, out problem))
            {
                return -1;
            }

            _host.Collect(filtered ? _selection : default);
        }

        int length = ExpositionWriter.Write(_store, format, destination);
        _scrapeDuration[(int)format].Observe(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds); // seen by the next scrape
        return length;
    }

    /// <summary>
    /// A push round's body: the collection a scrape runs (host collectors, the exporter's own), then
    /// the text format. Not counted as a scrape.
    /// </summary>
    public int CollectTextBody(Span<byte> destination)
    {
        lock (_collectGate)
        {
            UpdateSelf();
            _host.Collect(default);
        }

        return ExpositionWriter.Write(_store, ExpositionFormat.Text, destination);
    }

    /// <summary>The page at <c>/</c>: a text scrape (which runs the collectors as any scrape does), shown as HTML.</summary>
    public unsafe int WriteStatusPage(Span<byte> destination)
    {
        int capacity = _store.MaxBytes(ExpositionFormat.Text);
        if (_pageScrape is null)
        {
            _pageScrape = (byte*)NativeMemory.Alloc((nuint)capacity);
        }

        var scrape = new Span<byte>(_pageScrape, capacity);
        int length = WriteBody(scrape, ExpositionFormat.Text);
        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        return Status.StatusPage.Write(scrape[..length], destination, now, _telemetryPath);
    }

    public async ValueTask DisposeAsync()
    {
        _push?.Dispose();
        if (_server is not null)
        {
            await _server.StopAsync(TimeSpan.FromSeconds(5));
        }

        FreePageScrape();

        _devices.Dispose();
        _host.Dispose();
    }

    private unsafe void FreePageScrape()
    {
        if (_pageScrape is not null)
        {
            NativeMemory.Free(_pageScrape);
            _pageScrape = null;
        }
    }

    /// <summary>
    /// Each remote's queue, encoder and sender. With queue_dir the queue is on disk, in a directory
    /// named after the remote (SegmentQueue: crash-safe, capped at queue_max_disk_bytes, in memory only
    /// while the disk fails); without it, in memory, its ring sized from queue_config.capacity.
    /// </summary>
    private static List<RemoteWriteTarget> Targets(PushConfig push, List<(RemoteWriteConfig Config, RemoteSeries Series)> remotes, Logger log)
    {
        var targets = new List<RemoteWriteTarget>(remotes.Count);
        foreach ((RemoteWriteConfig remote, RemoteSeries series) in remotes)
        {
            QueueSettings queueSettings = remote.Queue;
            string queueName = "memory";
            IRemoteWriteQueue queue;
            if (push.QueueDirectory is { } root)
            {
                string directory = Path.Combine(root, remote.Name);
                string remoteName = remote.Name;
                queue = new SegmentQueue(new SegmentQueueOptions(directory)
                {
                    MaxDiskBytes = push.QueueMaxDiskBytes,
                    Log = message => log.Warn("remote write queue", ("remote_name", remoteName), ("dir", directory), ("msg", message)),
                });
                queueName = "disk:" + directory;
            }
            else
            {
                queue = new MemoryQueue(queueSettings.MemoryQueueBytes, QueueSettings.MemoryRecordBytes);
            }

            var encoder = new WriteRequestEncoder(queue.MaxRecordBytes, queueSettings.MaxSamplesPerSend, push.ExternalLabels, remote.Relabel);
            // The tls_config files were loaded once by the config check; loaded again here for use.
            IHttpConnector connector = remote.Endpoint.Https ? new TlsConnector(TlsClientContext.Load(remote.Tls ?? new TlsClientOptions())) : new TcpConnector();
            var client = new RemoteWriteClient(remote.Endpoint, connector, remote.RemoteTimeout, queueSettings.RetryOnHttp429, $"{CommandLine.ProgramName}/{BuildInfo.Version}", remote.Headers);
            string name = remote.Name;
            string url = remote.Endpoint.Url;
            var sender = new RemoteWriteSender(queue, client, new Backoff(queueSettings.MinBackoff, queueSettings.MaxBackoff), series)
            {
                Failed = result => log.Warn(
                    result.Verdict == SendVerdict.Drop ? "remote write refused a batch; dropped" : "remote write failed; retrying with backoff",
                    ("remote_name", name),
                    ("url", url),
                    ("status", result.Status),
                    ("err", result.Problem ?? "")),
                Recovered = () => log.Info("remote write recovered", ("remote_name", name), ("url", url)),
            };
            log.Info("remote write", ("remote_name", name), ("url", url), ("push_interval", Durations.Format(push.PushInterval)), ("queue", queueName));
            targets.Add(new RemoteWriteTarget(queue, encoder, sender, series));
        }

        return targets;
    }

    private void UpdateSelf()
    {
        foreach (Collector collector in _self)
        {
            try
            {
                collector.Update();
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException)
            {
                collector.HideAll();
            }
        }
    }

    private static bool HasFault(IReadOnlyList<DeviceConfig> devices)
    {
        foreach (DeviceConfig device in devices)
        {
            if (device.Fault is not null)
            {
                return true;
            }
        }

        return false;
    }
}
