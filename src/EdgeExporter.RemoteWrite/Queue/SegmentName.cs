namespace EdgeExporter.RemoteWrite.Queue;

/// <summary>
/// A segment's file name: its first sequence as sixteen lower-case hex digits and <c>.seg</c>, so
/// names sort as the segments do. Formatted into a caller's buffer, NUL-terminated for openat(2),
/// so a rotation allocates nothing.
/// </summary>
public static class SegmentName
{
    public const int Length = 20;

    /// <summary>Writes the name and a NUL into <paramref name="destination"/> (at least 21 bytes).</summary>
    public static void Format(long firstSequence, Span<byte> destination)
    {
        for (int i = 15; i >= 0; i--)
        {
            int digit = (int)(firstSequence & 0xF);
            destination[i] = (byte)(digit < 10 ? '0' + digit : 'a' + digit - 10);
            firstSequence >>= 4;
        }

        ".seg"u8.CopyTo(destination[16..]);
        destination[Length] = 0;
    }

    public static bool TryParse(ReadOnlySpan<char> fileName, out long firstSequence)
    {
        firstSequence = 0;
        if (fileName.Length != Length || !fileName.EndsWith(".seg", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in fileName[..16])
        {
            int digit = c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'f' ? c - 'a' + 10 : -1;
            if (digit < 0)
            {
                return false;
            }

            firstSequence = (firstSequence << 4) | (long)digit;
        }

        return firstSequence >= 0;
    }
}
