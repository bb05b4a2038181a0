using TransferLearning.Weights;

namespace TransferLearning;

/// <summary>
/// The ImageNet ResNet18 brought by this companion package (NuGet <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>,
/// copied to <c>DnnImageModels/ResNet18Onnx/ResNet18.onnx</c> in the application's output).
/// </summary>
public static class ResNet18Package
{
    /// <summary>Catalogue id of the backbone these weights belong to.</summary>
    public const string Backbone = "resnet18_cntk";

    /// <summary>The weights, found offline (application folder, weight cache, NuGet package folder).</summary>
    /// <exception cref="WeightsNotFoundException">The file is nowhere to be found.</exception>
    public static OnnxResNetWeights ImageNet => OnnxResNetWeights.Locate();

    /// <summary>Path of <c>ResNet18.onnx</c> next to the application.</summary>
    public static string ModelPath => Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", OnnxResNetWeights.FileName);
}
