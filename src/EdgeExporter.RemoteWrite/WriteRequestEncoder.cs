using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using EdgeExporter.Metrics;

namespace EdgeExporter.RemoteWrite;

/// <summary>What one sampling round gave one remote: samples queued, left out, and records made.</summary>
public readonly record struct RoundResult(int Samples, int Relabelled, int TooLarge, int Records, int Refused);

/// <summary>
/// Turns one sampling round (a text-format body, as a scrape renders it) into remote write 1.0
/// WriteRequests, snappy-compressed, appended to a queue as <see cref="BatchRecord"/>s. Every sample
/// of the round carries the round's timestamp. A round with more than <c>max_samples_per_send</c>
/// samples, or more bytes than a record holds, becomes several records. Labels within a series are
/// sorted by name with <c>__name__</c> among them and label values unescaped, as the remote write
/// 1.0 specification requires (prometheus.io/docs/specs/remote_write_spec, "Labels"); a label with
/// an empty value is left out, as a scrape leaves it out. Field numbers from prometheus/prompb
/// types.proto and remote.proto: WriteRequest.timeseries = 1; TimeSeries.labels = 1, samples = 2;
/// Label.name = 1, value = 2; Sample.value = 1 (double), timestamp = 2 (int64, ms).
/// </summary>
/// <remarks>
/// Bounds: the uncompressed batch buffer holds what compresses into the queue's
/// <see cref="IRemoteWriteQueue.MaxRecordBytes"/> in the worst case (snappy's bound 32 + n + n/6), and
/// the record buffer is that size: two buffers of about MaxRecordBytes each, allocated here once. A
/// series has at most <see cref="MaxLabels"/> labels (external ones included); one with more, or one
/// too large for a record on its own, is left out and counted. After the first round nothing is
/// allocated (SteadyAllocation test).
/// </remarks>
public sealed class WriteRequestEncoder
{
    /// <summary>Labels of one series, its own and the external ones; the exporter's series carry fewer than 40.</summary>
    public const int MaxLabels = 128;

    /// <summary>The longest metric name matched against the relabel rules (a longer one is left out and counted as too large).</summary>
    public const int MaxNameChars = 1024;

    private const byte FromBody = 0;
    private const byte External = 1;
    private const byte MetricName = 2;

    private static readonly byte[] NameLabel = "__name__"u8.ToArray();

    private readonly byte[][] _externalNames;
    private readonly byte[][] _externalValues;
    private readonly NameRule[] _rules;
    private readonly int _maxSamplesPerSend;
    private readonly byte[] _raw;
    private readonly int _rawLimit;
    private readonly byte[] _record;
    private readonly LabelRef[] _labels = new LabelRef[MaxLabels];
    private readonly char[] _name = new char[MaxNameChars];
    private readonly SnappyBlock _snappy = new();

    public WriteRequestEncoder(int maxRecordBytes, int maxSamplesPerSend, IReadOnlyList<ExternalLabel> externalLabels, IReadOnlyList<NameRule> rules)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSamplesPerSend, 1);
        _maxSamplesPerSend = maxSamplesPerSend;
        _rawLimit = RawLimit(maxRecordBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(_rawLimit, 1024, nameof(maxRecordBytes));
        _raw = new byte[_rawLimit];
        _record = new byte[maxRecordBytes];
        _externalNames = new byte[externalLabels.Count][];
        _externalValues = new byte[externalLabels.Count][];
        for (int i = 0; i < externalLabels.Count; i++)
        {
            _externalNames[i] = Encoding.UTF8.GetBytes(externalLabels[i].Name);
            _externalValues[i] = Encoding.UTF8.GetBytes(externalLabels[i].Value);
        }

        _rules = new NameRule[rules.Count];
        for (int i = 0; i < rules.Count; i++)
        {
            _rules[i] = rules[i];
        }
    }

    /// <summary>The most uncompressed WriteRequest bytes one record carries.</summary>
    public int MaxRawBytes => _rawLimit;

    /// <summary>
    /// Prometheus' staleness marker (prometheus/model/value: StaleNaN), a NaN no computation makes:
    /// a series that has it as its newest sample has ended.
    /// </summary>
    public static readonly double StaleNaN = BitConverter.Int64BitsToDouble(0x7ff0000000000002);

    /// <summary>
    /// Encodes every sample of <paramref name="body"/> at <paramref name="timestampMs"/> and appends the
    /// records to <paramref name="queue"/>; with <paramref name="staleMarkers"/>, every value sent is
    /// <see cref="StaleNaN"/> instead of the line's (the series of <see cref="StaleSeries"/>).
    /// </summary>
    public RoundResult Encode(ReadOnlySpan<byte> body, long timestampMs, IRemoteWriteQueue queue, bool staleMarkers = false)
    {
        int samples = 0, relabelled = 0, tooLarge = 0, records = 0, refused = 0;
        int position = 0;
        int inBatch = 0;
        var reader = new TextSampleReader(body);
        while (reader.Next(out TextSampleLine line))
        {
            if (!Kept(line.Name))
            {
                relabelled++;
                continue;
            }

            int count = CollectLabels(body, line);
            if (count < 0)
            {
                tooLarge++;
                continue;
            }

            int payload = SeriesPayload(body, count, timestampMs);
            int size = ProtobufWriter.FieldSize(1, payload);
            if (size > _rawLimit)
            {
                tooLarge++;
                continue;
            }

            if (position + size > _rawLimit || inBatch == _maxSamplesPerSend)
            {
                Flush(position, inBatch, timestampMs, queue, ref records, ref refused);
                position = 0;
                inBatch = 0;
            }

            position += WriteSeries(_raw.AsSpan(position), body, count, payload, staleMarkers ? StaleNaN : line.Value, timestampMs);
            inBatch++;
            samples++;
        }

        if (inBatch > 0)
        {
            Flush(position, inBatch, timestampMs, queue, ref records, ref refused);
        }

        return new RoundResult(samples, relabelled, tooLarge, records, refused);
    }

    /// <summary>The largest n whose worst-case compressed size fits a record after its head.</summary>
    private static int RawLimit(int maxRecordBytes)
    {
        int room = maxRecordBytes - BatchRecord.HeadBytes;
        int n = Math.Max(0, (int)((room - 32L) * 6 / 7));
        while (n > 0 && SnappyBlock.MaxCompressedLength(n) > room)
        {
            n--;
        }

        return n;
    }

    private void Flush(int length, int samples, long timestampMs, IRemoteWriteQueue queue, ref int records, ref int refused)
    {
        int compressed = _snappy.Compress(_raw.AsSpan(0, length), _record.AsSpan(BatchRecord.HeadBytes));
        BatchRecord.WriteHead(_record, samples, timestampMs);
        if (queue.Append(_record.AsSpan(0, BatchRecord.HeadBytes + compressed)))
        {
            records++;
        }
        else
        {
            refused++;
        }
    }

    private bool Kept(ReadOnlySpan<byte> name)
    {
        if (_rules.Length == 0)
        {
            return true;
        }

        if (name.Length > _name.Length)
        {
            return false;
        }

        // Metric names are ASCII ([a-zA-Z_:][a-zA-Z0-9_:]*): a byte is a char.
        Span<char> chars = _name.AsSpan(0, name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            chars[i] = (char)name[i];
        }

        foreach (NameRule rule in _rules)
        {
            if (rule.Matcher.IsMatch(chars) != rule.Keep)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The series' labels, sorted by name; -1 when there are more than <see cref="MaxLabels"/>.</summary>
    private int CollectLabels(ReadOnlySpan<byte> body, TextSampleLine line)
    {
        int count = 0;
        _labels[count++] = new LabelRef(MetricName, 0, 0, Offset(body, line.Name), line.Name.Length);
        ReadOnlySpan<byte> block = line.Labels;
        int blockStart = Offset(body, block);
        int i = 0;
        while (i < block.Length)
        {
            int eq = block[i..].IndexOf((byte)'=');
            if (eq < 0 || !TextSampleReader.TryLabelAt(block, i + eq + 1, out ReadOnlySpan<byte> value, out int next))
            {
                break;
            }

            if (value.Length > 0)
            {
                if (count == MaxLabels)
                {
                    return -1;
                }

                _labels[count++] = new LabelRef(FromBody, blockStart + i, eq, Offset(body, value), value.Length);
            }

            i = next;
        }

        int own = count;
        for (int e = 0; e < _externalNames.Length; e++)
        {
            if (Has(body, own, _externalNames[e]))
            {
                continue;
            }

            if (count == MaxLabels)
            {
                return -1;
            }

            _labels[count++] = new LabelRef(External, e, 0, e, 0);
        }

        // Insertion sort: a handful of labels, usually nearly in order already.
        for (int a = 1; a < count; a++)
        {
            LabelRef item = _labels[a];
            int b = a - 1;
            while (b >= 0 && Name(body, _labels[b]).SequenceCompareTo(Name(body, item)) > 0)
            {
                _labels[b + 1] = _labels[b];
                b--;
            }

            _labels[b + 1] = item;
        }

        return count;
    }

    private bool Has(ReadOnlySpan<byte> body, int count, ReadOnlySpan<byte> name)
    {
        for (int i = 0; i < count; i++)
        {
            if (Name(body, _labels[i]).SequenceEqual(name))
            {
                return true;
            }
        }

        return false;
    }

    private int SeriesPayload(ReadOnlySpan<byte> body, int count, long timestampMs)
    {
        int payload = 0;
        for (int i = 0; i < count; i++)
        {
            payload += ProtobufWriter.FieldSize(1, LabelPayload(body, _labels[i]));
        }

        return payload + ProtobufWriter.FieldSize(2, SamplePayload(timestampMs));
    }

    private static int SamplePayload(long timestampMs) => 1 + 8 + 1 + ProtobufWriter.VarintSize((ulong)timestampMs);

    private int LabelPayload(ReadOnlySpan<byte> body, in LabelRef label) =>
        ProtobufWriter.FieldSize(1, Name(body, label).Length) + ProtobufWriter.FieldSize(2, ValueLength(body, label));

    private int WriteSeries(Span<byte> destination, ReadOnlySpan<byte> body, int count, int payload, double value, long timestampMs)
    {
        int n = ProtobufWriter.WriteLengthPrefix(destination, 1, payload); // WriteRequest.timeseries
        for (int i = 0; i < count; i++)
        {
            ref readonly LabelRef label = ref _labels[i];
            ReadOnlySpan<byte> name = Name(body, label);
            int valueLength = ValueLength(body, label);
            n += ProtobufWriter.WriteLengthPrefix(destination[n..], 1, ProtobufWriter.FieldSize(1, name.Length) + ProtobufWriter.FieldSize(2, valueLength)); // TimeSeries.labels
            n += ProtobufWriter.WriteLengthPrefix(destination[n..], 1, name.Length); // Label.name
            name.CopyTo(destination[n..]);
            n += name.Length;
            n += ProtobufWriter.WriteLengthPrefix(destination[n..], 2, valueLength); // Label.value
            n += WriteValue(destination[n..], body, label);
        }

        n += ProtobufWriter.WriteLengthPrefix(destination[n..], 2, SamplePayload(timestampMs)); // TimeSeries.samples
        n += ProtobufWriter.WriteDouble(destination[n..], 1, value); // Sample.value
        n += ProtobufWriter.WriteInt64(destination[n..], 2, timestampMs); // Sample.timestamp
        return n;
    }

    private ReadOnlySpan<byte> Name(ReadOnlySpan<byte> body, in LabelRef label) => label.Kind switch
    {
        FromBody => body.Slice(label.NameStart, label.NameLength),
        External => _externalNames[label.NameStart],
        _ => NameLabel,
    };

    private int ValueLength(ReadOnlySpan<byte> body, in LabelRef label) => label.Kind switch
    {
        FromBody => UnescapedLength(body.Slice(label.ValueStart, label.ValueLength)),
        External => _externalValues[label.ValueStart].Length,
        _ => label.ValueLength, // a metric name has no escapes
    };

    private int WriteValue(Span<byte> destination, ReadOnlySpan<byte> body, in LabelRef label)
    {
        switch (label.Kind)
        {
            case FromBody:
                return TextSampleReader.Unescape(body.Slice(label.ValueStart, label.ValueLength), destination);
            case External:
                _externalValues[label.ValueStart].CopyTo(destination);
                return _externalValues[label.ValueStart].Length;
            default:
                body.Slice(label.ValueStart, label.ValueLength).CopyTo(destination);
                return label.ValueLength;
        }
    }

    /// <summary>The length of a label value once its text-format escapes (<c>\\ \" \n</c>) are undone.</summary>
    private static int UnescapedLength(ReadOnlySpan<byte> escaped)
    {
        int n = 0;
        for (int i = 0; i < escaped.Length; i++, n++)
        {
            if (escaped[i] == '\\' && i + 1 < escaped.Length)
            {
                i++;
            }
        }

        return n;
    }

    /// <summary>Where <paramref name="part"/> (a slice of <paramref name="body"/>) starts in it.</summary>
    private static int Offset(ReadOnlySpan<byte> body, ReadOnlySpan<byte> part) =>
        part.IsEmpty ? 0 : (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(body), ref MemoryMarshal.GetReference(part));

    /// <summary>A label by position: in the body (name and value offsets), an external label (its index), or <c>__name__</c> (the metric name's offset).</summary>
    private readonly record struct LabelRef(byte Kind, int NameStart, int NameLength, int ValueStart, int ValueLength);
}
