using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(EdgeExporter.Benchmarks.ExpositionBenchmarks).Assembly).Run(args);
