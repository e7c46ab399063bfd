using EdgeExporter.Benchmarks;
using EdgeExporter.Metrics;

// write-synthetic N: N text writes of the synthetic set and nothing else, so the difference between
// two instruction counts with different N is the cost of the writes alone.
if (args.Length != 2 || args[0] != "write-synthetic" || !int.TryParse(args[1], out int writes))
{
    Console.Error.WriteLine("usage: EdgeExporter.Native.Benchmarks write-synthetic <writes>");
    return 2;
}

MetricStore store = SyntheticSet.EdgeStore(out byte[] buffer);
int length = 0;
for (int i = 0; i < writes; i++)
{
    length = ExpositionWriter.Write(store, ExpositionFormat.Text, buffer);
}

Console.WriteLine($"bytes={length}");
return 0;
