namespace TransferLearning.Training;

/// <summary>
/// The training loss became NaN or infinite. The trainer stops before applying the step, puts back the BatchNorm
/// statistics the bad batch touched, so the model holds the weights of the last good step.
/// </summary>
public sealed class NonFiniteLossException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="phase">Phase name.</param>
    /// <param name="epoch">One-based epoch within the phase.</param>
    /// <param name="batch">One-based batch within the epoch.</param>
    /// <param name="loss">The loss value.</param>
    public NonFiniteLossException(string phase, int epoch, int batch, double loss)
        : base($"The training loss became {loss.ToString(System.Globalization.CultureInfo.InvariantCulture)} in phase '{phase}', epoch {epoch}, batch {batch}. The model was left at the last good weights. Check the data for NaN/Inf values or lower the learning rate.")
    {
        Phase = phase;
        Epoch = epoch;
        Batch = batch;
        Loss = loss;
    }

    /// <summary>Creates the exception with a message.</summary>
    public NonFiniteLossException() : this("?", 0, 0, double.NaN)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public NonFiniteLossException(string message) : base(message)
    {
        Phase = "?";
        Loss = double.NaN;
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public NonFiniteLossException(string message, Exception innerException) : base(message, innerException)
    {
        Phase = "?";
        Loss = double.NaN;
    }

    /// <summary>Phase name.</summary>
    public string Phase { get; }

    /// <summary>One-based epoch within the phase.</summary>
    public int Epoch { get; }

    /// <summary>One-based batch within the epoch.</summary>
    public int Batch { get; }

    /// <summary>The non-finite loss.</summary>
    public double Loss { get; }
}
