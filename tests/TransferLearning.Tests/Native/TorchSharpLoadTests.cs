using TorchSharp;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Native;

public class TorchSharpLoadTests
{
    [Fact]
    public void TensorOpAndBackward_OnThisMachine_Run()
    {
        using var scope = NewDisposeScope();
        var w = tensor(new float[] { 1f, 2f, 3f }).requires_grad_(true);
        var y = (w * w).sum();
        y.backward();
        Assert.Equal(14f, y.item<float>());
        Assert.Equal(new float[] { 2f, 4f, 6f }, w.grad!.data<float>().ToArray());
    }
}
