using System.Runtime.InteropServices;

namespace EdgeExporter.Hardware.Serial;

/// <summary>
/// glibc's <c>struct termios</c> on Linux (identical on x86_64 and aarch64: 60 bytes, c_cc at 17,
/// NCCS 32, c_ispeed at 52, c_ospeed at 56; shared/research/hardware.md, A.5), and the raw-mode
/// setup a serial protocol needs, built in managed code so that tests can check exactly what is
/// asked of the kernel (a pseudo-terminal's read-back drops parity and data bits).
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 60)]
public unsafe struct Termios
{
    // Flag values from asm-generic/termbits.h (checked with gcc on this machine).
    public const uint IgnBrk = 0x1, BrkInt = 0x2, ParMrk = 0x8, InPck = 0x10, IStrip = 0x20, InLcr = 0x40, IgnCr = 0x80, ICrNl = 0x100;
    public const uint IXon = 0x400, IXany = 0x800, IXoff = 0x1000;
    public const uint OPost = 0x1;
    public const uint ISig = 0x1, ICanon = 0x2, Echo = 0x8, EchoNl = 0x40, IExten = 0x8000;
    public const uint CBaud = 0x100F, CSize = 0x30, CStopB = 0x40, CRead = 0x80, ParEnb = 0x100, ParOdd = 0x200, CLocal = 0x800;
    public const uint CrtsCts = 0x80000000;
    public const int VTime = 5, VMin = 6;

    public uint InputFlags;
    public uint OutputFlags;
    public uint ControlFlags;
    public uint LocalFlags;
    public byte Line;
    public fixed byte ControlChars[32];
    private fixed byte _padding[3];
    public uint InputSpeed;
    public uint OutputSpeed;

    /// <summary>The speed constant (B9600 = 0xD ...) for a baud rate, or 0 when there is none.</summary>
    public static uint SpeedConstant(int baudRate) => baudRate switch
    {
        300 => 0x7,
        600 => 0x8,
        1200 => 0x9,
        1800 => 0xA,
        2400 => 0xB,
        4800 => 0xC,
        9600 => 0xD,
        19200 => 0xE,
        38400 => 0xF,
        57600 => 0x1001,
        115200 => 0x1002,
        230400 => 0x1003,
        460800 => 0x1004,
        921600 => 0x1007,
        _ => 0,
    };

    /// <summary>The character size bits (CS5 .. CS8).</summary>
    public static uint SizeBits(int dataBits) => (uint)(dataBits - 5) << 4;

    /// <summary>
    /// Raw mode (what cfmakeraw does: no echo, no line editing, no CR/LF translation, no flow
    /// control), the character format, the receiver on, modem lines ignored, and reads that return
    /// at once (VMIN 0, VTIME 0) because the channel waits in poll(2) with its own deadline.
    /// </summary>
    public void MakeRaw(SerialSettings settings)
    {
        uint speed = SpeedConstant(settings.BaudRate);
        InputFlags &= ~(IgnBrk | BrkInt | ParMrk | IStrip | InLcr | IgnCr | ICrNl | IXon | IXany | IXoff | InPck);
        OutputFlags &= ~OPost;
        LocalFlags &= ~(Echo | EchoNl | ICanon | ISig | IExten);
        ControlFlags &= ~(CSize | ParEnb | ParOdd | CStopB | CrtsCts | CBaud);
        ControlFlags |= SizeBits(settings.DataBits) | CRead | CLocal | speed;
        if (settings.Parity != Parity.None)
        {
            ControlFlags |= ParEnb | (settings.Parity == Parity.Odd ? ParOdd : 0);
            InputFlags |= InPck; // check parity on input; a bad character arrives as NUL
        }

        if (settings.StopBits == 2)
        {
            ControlFlags |= CStopB;
        }

        ControlChars[VMin] = 0;
        ControlChars[VTime] = 0;
        InputSpeed = speed;
        OutputSpeed = speed;
    }

    /// <summary>True when <paramref name="applied"/> has the parity and character size this asks for.</summary>
    public readonly bool ParityMatches(in Termios applied) =>
        ((ControlFlags ^ applied.ControlFlags) & (ParEnb | ParOdd | CSize)) == 0;

    /// <summary>
    /// True when <paramref name="applied"/> (read back after setting this) differs from this only in
    /// parity and character size: what a pseudo-terminal does (its set_termios clears PARENB and
    /// forces CS8), and what makes glibc's tcsetattr report EINVAL although the rest took effect.
    /// </summary>
    public readonly bool MatchesExceptParity(in Termios applied)
    {
        const uint ParityBits = ParEnb | ParOdd | CSize;
        return ((ControlFlags ^ applied.ControlFlags) & ~ParityBits) == 0
            && ((InputFlags ^ applied.InputFlags) & ~InPck) == 0
            && OutputFlags == applied.OutputFlags
            && LocalFlags == applied.LocalFlags
            && InputSpeed == applied.InputSpeed
            && OutputSpeed == applied.OutputSpeed;
    }
}
