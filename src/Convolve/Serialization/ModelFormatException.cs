namespace Convolve.Serialization;

/// <summary>A model file could not be read: the message names the file, where, and what is wrong.</summary>
public sealed class ModelFormatException(string message) : Exception(message);
