using TransferLearning.Backbones;
using TransferLearning.Heads;
using TransferLearning.Persistence;
using TransferLearning.Training;
using TransferLearning.Tests.Weights;
using TransferLearning.Weights;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Backbones;

public sealed class KerasApplicationsTests
{
    // Keras' model.summary() "Total params" of include_top=False (weights plus BatchNorm moving statistics).
    [Theory]
    [InlineData("keras_mobilenet", 3_228_864)]
    [InlineData("keras_mobilenet_v2", 2_257_984)]
    [InlineData("keras_resnet50", 23_587_712)]
    [InlineData("vgg16", 14_714_688)]
    public void Create_KerasEntry_HasKerasTotalParameterCount(string name, long expected)
    {
        using var backbone = BackboneModule.Create(BackboneCatalog.Get(name));
        long count = backbone.state_dict().Where(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Sum(kv => kv.Value.numel());
        Assert.Equal(expected, count);
    }

    [Fact]
    public void Catalogue_KerasEntries_UseKerasLayerNamesPreprocessingAndFiles()
    {
        var v1 = BackboneCatalog.KerasMobileNet;
        Assert.Equal("conv1_relu", v1.Blocks[0].Name);
        Assert.Equal("conv_pw_13_relu", v1.Blocks[^1].Name);
        Assert.Equal(1024, v1.FeatureChannels);
        Assert.Equal("tf", v1.Preprocessing.Mode);
        Assert.Equal("mobilenet_1_0_224_tf_no_top.h5", ImageNetWeights.GetInfo(v1).FileName);
        Assert.Equal("mobilenet_2_5_224_tf_no_top.h5", ImageNetWeights.GetInfo(BackboneCatalog.Get("keras_mobilenet_025")).FileName);

        var v2 = BackboneCatalog.KerasMobileNetV2;
        Assert.Contains("block_5_add", v2.Blocks.Select(b => b.Name));
        Assert.Contains("block_6_project_BN", v2.Blocks.Select(b => b.Name));
        Assert.Equal("out_relu", v2.Blocks[^1].Name);
        Assert.Equal(1280, v2.FeatureChannels);
        Assert.Equal("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5", ImageNetWeights.GetInfo(v2).FileName);
        Assert.Equal("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5", ImageNetWeights.GetInfo(BackboneCatalog.Get("keras_mobilenet_v2_035")).FileName);

        var resnet = BackboneCatalog.KerasResNet50;
        Assert.Equal(17, resnet.Blocks.Count);
        Assert.Equal("conv4_block6_out", resnet.Blocks[13].Name);
        Assert.Equal("caffe", resnet.Preprocessing.Mode);
        Assert.Equal("resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", ImageNetWeights.GetInfo(resnet).FileName);
    }

    [Fact]
    public void Create_KerasResNet50_IsV1WithStrideOnFirst1x1ConvAndBiases()
    {
        using var backbone = BackboneModule.Create(BackboneCatalog.KerasResNet50);
        var state = backbone.state_dict();
        Assert.Equal(new long[] { 128, 256, 1, 1 }, state["conv3_block1.conv3_block1_1_conv.weight"].shape);
        Assert.True(state.ContainsKey("conv3_block1.conv3_block1_2_conv.bias"));
        var block = (KerasResidualBlock)backbone.GetBlockModules(backbone.Info.IndexOfBlock("conv3_block1_out"))[0];
        var first = (TorchSharp.Modules.Conv2d)block.MainPath[0].Module;
        var second = (TorchSharp.Modules.Conv2d)block.MainPath[3].Module;
        Assert.Equal(new long[] { 2, 2 }, first.stride);
        Assert.Equal(new long[] { 1, 1 }, second.stride);
        var bn = (TorchSharp.Modules.BatchNorm2d)block.MainPath[1].Module;
        Assert.Equal(1.001e-5, bn.eps, 12);
    }

    [Theory]
    [InlineData(64, 0, 1)]
    [InlineData(77, 1, 1)]
    [InlineData(7, 1, 1)]
    [InlineData(8, 0, 1)]
    public void AmountsFor_SamePaddingStride2_PutsTheExtraPixelBottomRight(int size, int before, int after)
    {
        using var padding = KerasPadding2d.Same("p", 3, 2);
        var (top, bottom, left, right) = padding.AmountsFor(size, size);
        Assert.Equal((before, after, before, after), (top, bottom, left, right));
        using var scope = NewDisposeScope();
        var output = padding.call(ones(1, 1, size, size));
        Assert.Equal(size + before + after, output.shape[2]);
        Assert.Equal(0f, output[0, 0, ^1, ^1].item<float>());
    }

    [Theory]
    [InlineData("keras_mobilenet", 77, 2)]
    [InlineData("keras_mobilenet_v2", 77, 3)]
    [InlineData("keras_resnet50", 77, 3)]
    public void Forward_OddInput_GivesKerasOutputSize(string name, int size, int expected)
    {
        using var backbone = BackboneModule.Create(BackboneCatalog.Get(name));
        backbone.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var map = backbone.call(randn(1, 3, size, size));
        Assert.Equal(new long[] { 1, backbone.OutputChannels, expected, expected }, map.shape);
    }

    [Theory]
    [InlineData("keras_mobilenet_025", "conv_pw_5_relu", "conv_pw_12_relu")]
    [InlineData("keras_mobilenet_v2_035", "block_12_add", "block_10_project_BN")]
    [InlineData("keras_resnet50", "conv3_block4_out", "conv3_block3_out")]
    public void Build_TruncatedFrozenKerasModel_TrainsFromNamedBlockAndSavesAndLoads(string name, string truncate, string unfreezeFrom)
    {
        using var model = new TransferModelBuilder().WithBackbone(name).WithWeights(RandomWeights.Instance)
            .TruncateAfter(truncate).WithHead(new HeadOptions { HiddenSizes = new[] { 8 } })
            .WithClassCount(3).WithInputSize(45).WithSeed(2).Build();
        Assert.Equal(truncate, model.BlockNames[^1]);
        model.FreezeBase();
        Assert.True(model.IsBaseFrozen);
        if (model.BlockNames.Contains(unfreezeFrom))
        {
            model.UnfreezeFrom(unfreezeFrom);
            Assert.Equal(unfreezeFrom, model.TrainableBlocks[0]);
        }
        else
        {
            BlockSelection.Top(2).ApplyTo(model);
            Assert.Equal(model.BlockNames.TakeLast(2), model.TrainableBlocks);
        }

        // BatchNorm policy: frozen blocks keep inference-mode BatchNorm after train().
        model.train();
        var firstBn = model.Base.GetBlockBatchNorms(0)[0];
        Assert.False(firstBn.training);

        model.eval();
        string path = Path.Combine(StateDictAssert.TempFolder(), "model.tlm");
        try
        {
            TransferModelFile.Save(model, path);
            using var loaded = TransferModelFile.Load(path);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var x = randn(2, 3, 45, 45);
            Assert.Equal(model.call(x).data<float>().ToArray(), loaded.call(x).data<float>().ToArray());
            Assert.Equal(model.BlockNames, loaded.BlockNames);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }
}
