using TorchSharp;
using static TorchSharp.torch;

// Placeholder until the samples issue: a forward and backward pass through a small network.
using var scope = NewDisposeScope();
var model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2));
var x = randn(2, 3, 32, 32);
var loss = nn.functional.cross_entropy(model.call(x), tensor(new long[] { 0, 1 }));
loss.backward();
Console.WriteLine($"loss {loss.item<float>():F4}");
