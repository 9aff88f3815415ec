Console.WriteLine("Convolve benchmarks: see BENCHMARKS.md (to come).");
