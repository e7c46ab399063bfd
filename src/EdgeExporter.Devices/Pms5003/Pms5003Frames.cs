namespace EdgeExporter.Devices;

/// <summary>What one byte of the stream completed: nothing yet, a valid frame, or a frame with a wrong check code.</summary>
public enum Pms5003Verdict
{
    None,
    Frame,

    /// <summary>32 bytes that began like a frame but whose check code does not match (a cut-off or corrupted frame).</summary>
    BadChecksum,
}

/// <summary>
/// Finds PMS5003 frames in a byte stream (Plantower PMS5003 data manual, Appendix I, "Transport
/// Protocol - Active Mode"): 0x42 0x4D, a frame length of 28 (2 × 13 data words + 2), thirteen
/// big-endian words, and a check code that is the 16-bit sum of every byte before it. Bytes that
/// cannot begin a frame are skipped and counted; a frame whose length or check code is wrong is
/// searched again from its second byte, so that a start inside a broken frame is not lost (the
/// bytes of a frame with a bad check code count as that, not as skipped). Holds one frame; no allocation.
/// </summary>
public sealed class Pms5003Frames
{
    public const int FrameLength = 32;
    public const int LengthField = 28;
    public const byte Start1 = 0x42, Start2 = 0x4D;

    private readonly byte[] _frame = new byte[FrameLength];
    private int _count;
    private bool _counting = true;

    /// <summary>The last complete frame (valid once <see cref="Push"/> said <see cref="Pms5003Verdict.Frame"/>).</summary>
    public ReadOnlySpan<byte> Frame => _frame;

    /// <summary>Bytes skipped as no part of any frame since <see cref="Reset"/>.</summary>
    public int Skipped { get; private set; }

    /// <summary>Data word <paramref name="index"/> (0..12) of <see cref="Frame"/>.</summary>
    public ushort Word(int index) => (ushort)((_frame[4 + (2 * index)] << 8) | _frame[5 + (2 * index)]);

    /// <summary>The 16-bit sum of every byte before the check code.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> frame)
    {
        int sum = 0;
        foreach (byte b in frame[..(FrameLength - 2)])
        {
            sum += b;
        }

        return (ushort)sum;
    }

    public void Reset()
    {
        _count = 0;
        Skipped = 0;
    }

    public Pms5003Verdict Push(byte value)
    {
        _frame[_count++] = value;
        bool fits = _count switch
        {
            1 => value == Start1,
            2 => value == Start2,
            4 => ((_frame[2] << 8) | _frame[3]) == LengthField,
            _ => true,
        };

        if (!fits)
        {
            if (_counting)
            {
                Skipped++;
            }

            Rescan();
            return Pms5003Verdict.None;
        }

        if (_count < FrameLength)
        {
            return Pms5003Verdict.None;
        }

        if (Checksum(_frame) != ((_frame[30] << 8) | _frame[31]))
        {
            bool counting = _counting;
            _counting = false;
            Rescan();
            _counting = counting;
            return Pms5003Verdict.BadChecksum;
        }

        _count = 0;
        return Pms5003Verdict.Frame;
    }

    /// <summary>The bytes so far are no frame: feed all but the first again. Fewer than 32, so no frame can complete among them.</summary>
    private void Rescan()
    {
        int rest = _count - 1;
        Span<byte> bytes = stackalloc byte[FrameLength];
        _frame.AsSpan(1, rest).CopyTo(bytes);
        _count = 0;
        for (int i = 0; i < rest; i++)
        {
            Push(bytes[i]);
        }
    }
}
