namespace TransferLearning.Summaries;

/// <summary>How the BatchNorm layers of a block behave while the model trains (see <see cref="TransferModel.KeepBatchNormInInferenceMode"/>).</summary>
public enum BatchNormMode
{
    /// <summary>The block has no BatchNorm layer.</summary>
    None,

    /// <summary>Inference mode: running statistics are used and never updated (frozen blocks, or every block when BatchNorm is kept in inference mode).</summary>
    Inference,

    /// <summary>Training mode: batch statistics are used and the running statistics are updated.</summary>
    Training,
}
