using System.Buffers.Binary;

namespace EdgeExporter.RemoteWrite.QueueHost;

/// <summary>
/// A record that says who it is and can be checked whole: run and counter first, then its length,
/// then bytes that follow from all three. A record cut short, shifted or mixed with another fails <see cref="TryRead"/>.
/// </summary>
public static class NumberedRecord
{
    public const int HeaderBytes = 12;

    public static int Write(Span<byte> destination, int run, int counter, int length)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, run);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], counter);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], length);
        for (int i = HeaderBytes; i < length; i++)
        {
            destination[i] = Fill(run, counter, i);
        }

        return length;
    }

    public static bool TryRead(ReadOnlySpan<byte> record, out int run, out int counter)
    {
        run = 0;
        counter = 0;
        if (record.Length < HeaderBytes)
        {
            return false;
        }

        run = BinaryPrimitives.ReadInt32LittleEndian(record);
        counter = BinaryPrimitives.ReadInt32LittleEndian(record[4..]);
        if (BinaryPrimitives.ReadInt32LittleEndian(record[8..]) != record.Length)
        {
            return false;
        }

        for (int i = HeaderBytes; i < record.Length; i++)
        {
            if (record[i] != Fill(run, counter, i))
            {
                return false;
            }
        }

        return true;
    }

    private static byte Fill(int run, int counter, int index) => (byte)((run * 131) + (counter * 31) + (index * 7) + (index >> 8));
}
