using EdgeExporter.RemoteWrite.Queue;
using EdgeExporter.RemoteWrite.QueueHost;

// Usage: QueueHost <directory> <run> <seed>
// Opens a SegmentQueue in <directory> with small segments (rotation every few flushes) and runs a
// producer (append, flush every one to five records) and a consumer (peek, acknowledge) until it
// is killed. Lines on stdout, each written whole and flushed at once:
//   READY                       the queue is open (recovery done)
//   F <run> <counter>           Flush returned: records of this run up to <counter> are durable
//   A <run> <counter> <seq>     Acknowledge(<seq>) returned for the record <run> <counter>
//   BAD <text>                  something the test must fail on
string directory = args[0];
int run = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var random = new Random(int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
var gate = new object();
void Say(string line)
{
    lock (gate)
    {
        output.WriteLine(line);
    }
}

var queue = new SegmentQueue(new SegmentQueueOptions(directory)
{
    SegmentBytes = 4096,
    MaxRecordBytes = 2048,
    MaxMemoryBytes = 1024 * 1024,
    MaxDiskBytes = 64L * 1024 * 1024,
    Log = line => Say("LOG " + line),
});
Say("READY");

var consumer = new Thread(() =>
{
    var rng = new Random(random.Next());
    var buffer = new byte[queue.MaxRecordBytes];
    while (true)
    {
        if (!queue.TryPeek(buffer, out int length, out long sequence))
        {
            Thread.Sleep(1);
            continue;
        }

        if (!NumberedRecord.TryRead(buffer.AsSpan(0, length), out int r, out int c))
        {
            Say($"BAD peeked record {sequence} is damaged");
            Thread.Sleep(Timeout.Infinite);
        }

        // The receiver is slow now and then, so records pile up on disk and acknowledgements cover them.
        Thread.Sleep(rng.Next(4) == 0 ? rng.Next(1, 8) : 0);
        queue.Acknowledge(sequence);
        Say($"A {r} {c} {sequence}");
    }
})
{ IsBackground = true };
consumer.Start();

var record = new byte[queue.MaxRecordBytes];
int counter = 0;
while (true)
{
    int batch = random.Next(1, 6);
    for (int i = 0; i < batch; i++)
    {
        counter++;
        int length = NumberedRecord.Write(record, run, counter, random.Next(NumberedRecord.HeaderBytes, 1500));
        queue.Append(record.AsSpan(0, length));
    }

    queue.Flush();
    Say($"F {run} {counter}");
    Thread.Sleep(random.Next(1, 5));
}
