Console.WriteLine("convolve: commands to come.");
