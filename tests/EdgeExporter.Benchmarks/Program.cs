using BenchmarkDotNet.Running;
using EdgeExporter.Benchmarks;

if (args.Length == 2 && args[0] == "write-synthetic")
{
    // For packaging/scripts/callgrind-synthetic.sh: N writes of the synthetic set, nothing else, so
    // the difference between two counts of instructions is the cost of the writes alone.
    var benchmark = new ExpositionBenchmarks();
    benchmark.Setup();
    int length = 0;
    for (int i = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture); i > 0; i--)
    {
        length = benchmark.EdgeText();
    }

    Console.WriteLine($"bytes={length}");
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(ExpositionBenchmarks).Assembly).Run(args);
