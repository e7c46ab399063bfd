using EdgeExporter.Hardware.Serial;

namespace EdgeExporter;

/// <summary>
/// The serial channels this build has. The static binary has termios on libc only: System.IO.Ports'
/// native shim is a shared library that cannot load in it (shared/research/hardware.md, A.2). A
/// build with <c>-p:StaticExecutable=false</c> also has System.IO.Ports (and uses it by default
/// where there is no termios: other operating systems).
/// </summary>
public static class SerialChannels
{
    public const string Termios = "termios";
    public const string Ports = "system.io.ports";

#if SERIAL_PORTS
    public static readonly string[] Available = [Termios, Ports];

    public static string Default => OperatingSystem.IsLinux() ? Termios : Ports;
#else
    public static readonly string[] Available = [Termios];

    public static string Default => Termios;
#endif

    public static ISerialChannelFactory Open(string name) => name switch
    {
#if SERIAL_PORTS
        Ports => Serial.Ports.PortsSerialChannelFactory.Instance,
#endif
        _ => TermiosSerialChannelFactory.Instance,
    };
}
