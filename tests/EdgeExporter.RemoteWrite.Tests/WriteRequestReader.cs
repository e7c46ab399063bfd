using System.Buffers.Binary;
using System.Text;
using Snappier;

namespace EdgeExporter.RemoteWrite.Tests;

/// <summary>A decoded remote write sample: its labels in wire order, value and timestamp.</summary>
public sealed record DecodedSeries(List<KeyValuePair<string, string>> Labels, double Value, long Timestamp)
{
    public string Name => Label("__name__")!;

    public string? Label(string name) => Labels.FirstOrDefault(l => l.Key == name).Value;
}

/// <summary>
/// A protobuf decoder for WriteRequest written for the tests, independent of the encoder: reads any
/// field order, skips unknown fields, and fails on malformed input. Field numbers from
/// prometheus/prompb (types.proto, remote.proto).
/// </summary>
public static partial class WriteRequestReader
{
    public static List<DecodedSeries> DecodeSnappy(byte[] compressed) => Decode(Snappy.DecompressToArray(compressed));

    public static List<DecodedSeries> Decode(byte[] request)
    {
        var series = new List<DecodedSeries>();
        foreach ((int field, byte[] payload) in Fields(request))
        {
            if (field == 1)
            {
                series.Add(Series(payload));
            }
        }

        return series;
    }

    private static DecodedSeries Series(byte[] payload)
    {
        var labels = new List<KeyValuePair<string, string>>();
        double value = double.NaN;
        long timestamp = long.MinValue;
        int samples = 0;
        foreach ((int field, byte[] bytes) in Fields(payload))
        {
            if (field == 1)
            {
                string name = "", text = "";
                foreach ((int f, byte[] b) in Fields(bytes))
                {
                    if (f == 1) name = Encoding.UTF8.GetString(b);
                    if (f == 2) text = Encoding.UTF8.GetString(b);
                }

                labels.Add(new(name, text));
            }
            else if (field == 2)
            {
                samples++;
                foreach ((int f, byte[] b) in Fields(bytes))
                {
                    if (f == 1) value = BinaryPrimitives.ReadDoubleLittleEndian(b);
                    if (f == 2) timestamp = BinaryPrimitives.ReadInt64LittleEndian(b);
                }
            }
        }

        Assert.Equal(1, samples);
        return new DecodedSeries(labels, value, timestamp);
    }

    /// <summary>Each field as (number, payload); a varint's payload is its value as 8 little-endian bytes, a fixed64's its 8 bytes.</summary>
    private static IEnumerable<(int Field, byte[] Payload)> Fields(byte[] message)
    {
        int i = 0;
        var result = new List<(int, byte[])>();
        while (i < message.Length)
        {
            ulong tag = Varint(message, ref i);
            int field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    byte[] v = new byte[8];
                    BinaryPrimitives.WriteUInt64LittleEndian(v, Varint(message, ref i));
                    result.Add((field, v));
                    break;
                case 1:
                    result.Add((field, message[i..(i + 8)]));
                    i += 8;
                    break;
                case 2:
                    int length = checked((int)Varint(message, ref i));
                    result.Add((field, message[i..(i + length)]));
                    i += length;
                    break;
                default:
                    throw new InvalidDataException($"wire type {tag & 7}");
            }
        }

        Assert.Equal(message.Length, i);
        return result;
    }

    private static ulong Varint(byte[] data, ref int i)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = data[i++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("varint too long");
    }
}
