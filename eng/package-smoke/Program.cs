// Compiled only by eng/package-smoke.sh, against the packed TransferLearning and TransferLearning.ResNet18 packages.
using TorchSharp;
using TransferLearning;
using TransferLearning.Weights;
using static TorchSharp.torch;

using (var scope = NewDisposeScope())
{
    var net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2));
    var loss = nn.functional.cross_entropy(net.call(randn(2, 3, 16, 16)), tensor(new long[] { 0, 1 }));
    loss.backward();
    Console.WriteLine($"package smoke: forward and backward ran, loss {loss.item<float>():F4}");
}

// The companion package put ResNet18.onnx next to the app, where the resolver finds it.
var onnx = ResNet18Package.ImageNet;
if (!File.Exists(ResNet18Package.ModelPath) || onnx.Path != ResNet18Package.ModelPath)
{
    Console.Error.WriteLine($"package smoke: ResNet18.onnx not found next to the app (resolved '{onnx.Path}')");
    return 1;
}

using var model = new TransferModelBuilder().WithBackbone("resnet18").WithWeights(Weights.Random)
    .WithClassCount(2).WithInputSize(32).Build();
var summary = model.Summary();
Console.WriteLine($"package smoke: ResNet18.onnx found, summary of {summary.Blocks.Count} blocks, {summary.TotalParameters:N0} parameters");
return 0;
