using System.Diagnostics;
using System.Text;
using EdgeExporter.RemoteWrite.Queue;
using EdgeExporter.RemoteWrite.QueueHost;
using Xunit.Abstractions;

namespace EdgeExporter.RemoteWrite.Tests.Queue;

/// <summary>
/// Issue 17, items 2 and 4(d): a process writing the queue is killed with SIGKILL at random points,
/// fifty times over the same directory. Segments of 4 KiB rotate every few flushes and the consumer
/// acknowledges all the time, so kills land in appends, flushes, rotations, peeks and acknowledgements.
/// After every kill the directory is opened in this process (on a copy, so that draining it does not
/// change what the next run recovers) and checked against what the dead process had reported.
/// </summary>
public sealed class SegmentQueueCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 50;

    private readonly QueueDirectory _directory = new();
    private readonly QueueDirectory _copy = new();

    public void Dispose()
    {
        _directory.Dispose();
        _copy.Dispose();
    }

    [Fact]
    public void Fifty_kills_lose_no_flushed_record_bring_back_no_acknowledged_one_and_corrupt_nothing()
    {
        int seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var durable = new List<Key>();
        var acknowledged = new Key(0, 0);
        int reported = 0, recovered = 0, duringStart = 0, segmentsSeen = 0;
        var clock = Stopwatch.StartNew();
        for (int run = 1; run <= Kills; run++)
        {
            bool killInStart = run % 10 == 0;
            List<string> lines = RunAndKill(run, random.Next(), killInStart ? random.Next(0, 120) : random.Next(0, 201), killInStart);
            duringStart += killInStart ? 1 : 0;
            int flushed = 0;
            foreach (string line in lines)
            {
                string[] parts = line.Split(' ');
                Assert.False(parts[0] == "BAD", $"run {run}: {line}");
                if (parts[0] == "F")
                {
                    Assert.Equal(run, int.Parse(parts[1]));
                    flushed = int.Parse(parts[2]);
                }
                else if (parts[0] == "A")
                {
                    var key = new Key(int.Parse(parts[1]), int.Parse(parts[2]));
                    Assert.True(key.CompareTo(acknowledged) > 0, $"run {run}: {key} acknowledged again after {acknowledged}");
                    acknowledged = key;
                }
            }

            reported += flushed;
            segmentsSeen += _directory.Segments().Length;
            var expected = durable.Concat(Enumerable.Range(1, flushed).Select(c => new Key(run, c))).Where(k => k.CompareTo(acknowledged) > 0).ToList();
            List<Key> found = OpenCopyAndDrain(run, out QueueStatistics statistics);
            recovered += found.Count;
            Assert.Equal(0, statistics.RecordsCorrupt);
            Assert.Equal(0, statistics.RecordsDropped);
            Assert.All(found, k => Assert.True(k.CompareTo(acknowledged) > 0, $"run {run}: {k} came back after {acknowledged} was acknowledged"));

            // The only expected record allowed missing is the first: acknowledged by the dead process
            // after its last report. Anything else found beyond the expected is this run's, written
            // by a flush whose report the kill cut off.
            int skipped = expected.Count > 0 && found.Count > 0 && found[0].CompareTo(expected[0]) > 0 ? 1 : 0;
            skipped = expected.Count > 0 && found.Count == 0 ? 1 : skipped;
            Assert.True(expected.Count - skipped <= found.Count, $"run {run}: {expected.Count} records expected, {found.Count} found");
            Assert.Equal(expected.Skip(skipped), found.Take(expected.Count - skipped));
            Assert.All(found.Skip(expected.Count - skipped), k => Assert.True(k.Run == run && k.Counter > flushed, $"run {run}: {k} was never appended or reported"));
            durable = found;
        }

        output.WriteLine($"{Kills} kills ({duringStart} during start-up and recovery) in {clock.Elapsed.TotalSeconds:0.0} s; {reported} records reported flushed, {recovered} records found over all checks, {segmentsSeen} segment files seen");
        Assert.True(reported > 1000, "the kills landed while records were being written");
    }

    private List<string> RunAndKill(int run, int seed, int delayMilliseconds, bool killInStart)
    {
        string host = Path.Combine(AppContext.BaseDirectory, "EdgeExporter.RemoteWrite.QueueHost.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in new[] { "exec", host, _directory.Path, run.ToString(), seed.ToString() })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var bytes = new MemoryStream();
        Task copy = process.StandardOutput.BaseStream.CopyToAsync(bytes);
        if (!killInStart)
        {
            var deadline = Stopwatch.StartNew();
            while (!Encoding.ASCII.GetString(bytes.ToArray()).Contains("READY\n", StringComparison.Ordinal))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "the host did not start");
                Thread.Sleep(2);
            }
        }

        Thread.Sleep(delayMilliseconds);
        process.Kill(); // SIGKILL
        process.WaitForExit();
        copy.Wait();
        string[] lines = Encoding.ASCII.GetString(bytes.ToArray()).Split('\n');
        return lines.Take(lines.Length - 1).ToList(); // the last is empty or cut off by the kill
    }

    private List<Key> OpenCopyAndDrain(int run, out QueueStatistics statistics)
    {
        foreach (string file in Directory.GetFiles(_copy.Path))
        {
            File.Delete(file);
        }

        foreach (string file in Directory.GetFiles(_directory.Path))
        {
            File.Copy(file, Path.Combine(_copy.Path, Path.GetFileName(file)));
        }

        var found = new List<Key>();
        using var queue = new SegmentQueue(new SegmentQueueOptions(_copy.Path) { SegmentBytes = 4096, MaxRecordBytes = 2048, MaxMemoryBytes = 1 << 20 });
        var buffer = new byte[queue.MaxRecordBytes];
        long previous = long.MinValue;
        while (queue.TryPeek(buffer, out int length, out long sequence))
        {
            Assert.True(NumberedRecord.TryRead(buffer.AsSpan(0, length), out int r, out int c), $"run {run}: record {sequence} is damaged");
            Assert.True(sequence > previous, $"run {run}: sequence {sequence} after {previous}");
            var key = new Key(r, c);
            Assert.True(found.Count == 0 || key.CompareTo(found[^1]) > 0, $"run {run}: {key} after {found.LastOrDefault()}");
            found.Add(key);
            previous = sequence;
            queue.Acknowledge(sequence);
        }

        statistics = queue.Statistics;
        return found;
    }

    private readonly record struct Key(int Run, int Counter) : IComparable<Key>
    {
        public int CompareTo(Key other) => Run != other.Run ? Run.CompareTo(other.Run) : Counter.CompareTo(other.Counter);

        public override string ToString() => $"{Run}/{Counter}";
    }
}
