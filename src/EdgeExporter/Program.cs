using System.Net.Sockets;
using System.Runtime.InteropServices;
using EdgeExporter;
using EdgeExporter.Config;
using EdgeExporter.Http;

ProcessLimits.Apply();
try
{
    (CommandLine.Action action, ExporterOptions options) = CommandLine.Parse(args);
    switch (action)
    {
        case CommandLine.Action.Help:
            DescriptorWriter.Out.Write(CommandLine.HelpText());
            return 0;
        case CommandLine.Action.Version:
            DescriptorWriter.Out.Write(CommandLine.VersionText(Exporter.GoArch));
            return 0;
    }

    ExporterConfig config;
    WebConfig? webConfig = null;
    try
    {
        config = ConfigSource.Load(options);
        if (options.WebConfigFile is { } webConfigFile)
        {
            webConfig = WebConfigLoader.LoadFile(webConfigFile);
        }
    }
    catch (ConfigException error)
    {
        foreach (string line in error.Errors)
        {
            DescriptorWriter.Error.WriteLine(line);
        }

        DescriptorWriter.Error.WriteLine($"{CommandLine.ProgramName}: {error.Errors.Count} error(s) in the configuration; nothing was started");
        return 1;
    }

    if (options.ConfigCheck)
    {
        DescriptorWriter.Out.Write(ConfigSource.Summary(config));
        if (webConfig is not null)
        {
            DescriptorWriter.Out.Write(webConfig.Summary());
        }

        DescriptorWriter.Out.Write(ProfileListing.Render(HardwareProfiles.Embedded));

        return 0;
    }

    var log = new Logger(DescriptorWriter.Error, options.LogLevel, options.LogJson);
    log.Info("Starting edge_exporter", ("version", BuildInfo.Version), ("revision", BuildInfo.Revision), ("goarch", Exporter.GoArch));
    StartupMemory.Prepare();
    await using var exporter = new Exporter(options, config, log) { WebConfig = webConfig };
    using var stop = new ManualResetEventSlim(false);
    void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // shut down in order instead of the runtime's default exit
        log.Info("Shutting down", ("signal", context.Signal));
        stop.Set();
    }

    using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
    try
    {
        exporter.Start();
    }
    catch (SocketException error)
    {
        log.Error("Could not listen", ("err", error.Message), ("address", string.Join(",", options.ListenAddresses)));
        return 1;
    }
    catch (TlsConfigurationException error)
    {
        log.Error("Could not set up TLS", ("err", error.Message));
        return 1;
    }

    if (!stop.Wait(StartupMemory.Delay))
    {
        long before = System.Diagnostics.Stopwatch.GetTimestamp();
        StartupMemory.Release();
        log.Debug("Gave back start-up memory", ("duration_ms", System.Diagnostics.Stopwatch.GetElapsedTime(before).TotalMilliseconds));
    }

    stop.Wait();
    return 0;
}
catch (UsageException error)
{
    DescriptorWriter.Error.WriteLine($"{CommandLine.ProgramName}: error: {error.Message}, try --help");
    return 1;
}
