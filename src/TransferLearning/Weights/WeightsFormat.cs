namespace TransferLearning.Weights;

/// <summary>File formats of pretrained weights.</summary>
public enum WeightsFormat
{
    /// <summary>PyTorch <c>torch.save(state_dict)</c> zip file (<c>.pth</c>, <c>.pt</c>).</summary>
    PyTorch,

    /// <summary>Hugging Face safetensors (<c>.safetensors</c>).</summary>
    SafeTensors,

    /// <summary>Keras HDF5 weights (<c>.h5</c>), Keras 2 or Keras 3 layout.</summary>
    KerasH5,

    /// <summary>ONNX model (<c>.onnx</c>) whose initializers are mapped by walking the graph.</summary>
    Onnx,

    /// <summary>TorchSharp's own <c>Module.save</c> format (<c>.dat</c>).</summary>
    TorchSharpDat,
}
