using System.Globalization;

namespace EdgeExporter.Hardware.Serial;

public enum Parity
{
    None,
    Even,
    Odd,
}

/// <summary>
/// How a serial port is set up: a path and the character format. <see cref="Rs485"/> asks the
/// kernel driver to switch the transmitter itself (TIOCSRS485); adapters that turn the line around
/// on their own need nothing.
/// </summary>
public sealed record SerialSettings(
    string Path,
    int BaudRate = 9600,
    int DataBits = 8,
    Parity Parity = Parity.None,
    int StopBits = 1,
    bool Rs485 = false)
{
    /// <summary>Speeds the Linux termios interface has a constant for (asm-generic/termbits.h).</summary>
    public static readonly int[] BaudRates = [300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600];

    /// <summary>Bits on the wire per character: start, data, parity, stop.</summary>
    public int BitsPerCharacter => 1 + DataBits + (Parity == Parity.None ? 0 : 1) + StopBits;

    /// <summary>How long one character takes on the wire.</summary>
    public TimeSpan CharacterTime => TimeSpan.FromSeconds((double)BitsPerCharacter / BaudRate);

    /// <summary>How long <paramref name="characters"/> take on the wire.</summary>
    public TimeSpan LineTime(int characters) => TimeSpan.FromSeconds((double)BitsPerCharacter * characters / BaudRate);

    /// <summary>The short form people write on labels and in manuals: 9600 8N1.</summary>
    public string Format => string.Create(CultureInfo.InvariantCulture, $"{BaudRate} {DataBits}{Parity switch { Parity.Even => 'E', Parity.Odd => 'O', _ => 'N' }}{StopBits}");

    /// <summary>A reason these settings cannot be used, or null.</summary>
    public string? Problem() =>
        !BaudRates.Contains(BaudRate) ? $"baud rate {BaudRate} is not a standard speed; use one of {string.Join(", ", BaudRates)}"
        : DataBits is < 5 or > 8 ? $"data bits must be 5 to 8, not {DataBits}"
        : StopBits is not (1 or 2) ? $"stop bits must be 1 or 2, not {StopBits}"
        : null;
}
