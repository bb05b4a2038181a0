// Compiled only by eng/package-smoke.sh, against the packed TransferLearning package.
using TorchSharp;
using static TorchSharp.torch;

using var scope = NewDisposeScope();
var model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2));
var loss = nn.functional.cross_entropy(model.call(randn(2, 3, 16, 16)), tensor(new long[] { 0, 1 }));
loss.backward();
Console.WriteLine($"package smoke: forward and backward ran, loss {loss.item<float>():F4}");
