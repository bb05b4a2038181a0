using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLearning.Backbones;

/// <summary>
/// Builds VGG networks with torchvision's layout (<c>features</c> = conv/[bn]/relu children and max pools, numbered
/// from 0) without allocating the 120M-parameter classifier, which a transfer model drops anyway.
/// </summary>
public static class VggFeatures
{
    /// <summary>VGG16 configuration: channels per conv, 0 = max pool.</summary>
    public static IReadOnlyList<int> Vgg16Config { get; } = new[] { 64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0 };

    /// <summary>Creates a module with one child, <c>features</c>, holding the VGG convolutional layers.</summary>
    /// <param name="config">Channels per conv layer, 0 for a max pool.</param>
    /// <param name="batchNorm">Insert BatchNorm2d after every conv (VGG16-BN).</param>
    public static Module<Tensor, Tensor> Create(IReadOnlyList<int> config, bool batchNorm)
    {
        ArgumentNullException.ThrowIfNull(config);
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        int inChannels = 3;
        foreach (int c in config)
        {
            string Next() => layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (c == 0)
            {
                layers.Add((Next(), MaxPool2d(2, stride: 2)));
                continue;
            }

            layers.Add((Next(), Conv2d(inChannels, c, 3, padding: 1)));
            if (batchNorm)
            {
                layers.Add((Next(), BatchNorm2d(c)));
            }

            layers.Add((Next(), ReLU(inplace: true)));
            inChannels = c;
        }

        return new Holder(Sequential(layers.ToArray()));
    }

    private sealed class Holder : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> features;

        public Holder(Module<Tensor, Tensor> features) : base("VGG")
        {
            this.features = features;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => features.call(input);
    }
}
