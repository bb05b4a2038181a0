namespace TransferLearning.Heads;

/// <summary>Activation after each hidden layer of the head.</summary>
public enum HeadActivation
{
    /// <summary>ReLU.</summary>
    ReLU,

    /// <summary>GELU.</summary>
    GELU,

    /// <summary>SiLU (swish).</summary>
    SiLU,

    /// <summary>Tanh.</summary>
    Tanh,

    /// <summary>Leaky ReLU (slope 0.01).</summary>
    LeakyReLU,
}
