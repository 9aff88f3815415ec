using Convolve.Cli;

// Colour and tables in a terminal; plain text when the output goes to a file or a pipe.
return ConvolveApp.Run(args, Console.Out, Console.Error, plain: Console.IsOutputRedirected);
