using TransferLearning.Backbones;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Backbones;

public class BackboneModuleTests
{
    [Theory]
    [MemberData(nameof(BackboneCatalogTests.Names), MemberType = typeof(BackboneCatalogTests))]
    public void GetBlockParameters_AllBlocks_PartitionEveryBaseParameter(string name)
    {
        using var @base = BackboneModule.Create(BackboneCatalog.Get(name));
        var all = @base.parameters().Select(p => p.Handle).ToList();
        var fromBlocks = Enumerable.Range(0, @base.BlockCount).SelectMany(@base.GetBlockParameters).Select(p => p.Handle).ToList();
        Assert.Equal(all.Count, fromBlocks.Count);
        Assert.Equal(all.ToHashSet(), fromBlocks.ToHashSet());
    }

    [Theory]
    [MemberData(nameof(BackboneCatalogTests.Names), MemberType = typeof(BackboneCatalogTests))]
    public void TruncateAfter_EachBlock_GivesTheTablesChannelsAndStride(string name)
    {
        var info = BackboneCatalog.Get(name);
        const int size = 64;
        foreach (var block in info.Blocks)
        {
            using var full = BackboneModule.Create(info);
            using var cut = full.TruncateAfter(block.Name);
            cut.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var map = cut.call(randn(1, 3, size, size));
            Assert.Equal(block.OutputChannels, (int)map.shape[1]);
            Assert.Equal(size / block.Stride, (int)map.shape[2]);
            Assert.Equal(info.IndexOfBlock(block.Name) + 1, cut.BlockCount);
            Assert.Equal(block.OutputChannels, cut.OutputChannels);
        }
    }

    [Fact]
    public void TruncateAfter_Layer2_KeepsOnlyKeysOfKeptBlocks()
    {
        using var full = BackboneModule.Create(BackboneCatalog.ResNet18);
        using var cut = full.TruncateAfter("layer2");
        var keys = cut.state_dict().Keys.ToArray();
        Assert.Contains("layer2.1.bn2.running_var", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("layer3.", StringComparison.Ordinal) || k.StartsWith("layer4.", StringComparison.Ordinal));
    }

    [Fact]
    public void TruncateAfter_UnknownBlock_ThrowsListingValidNames()
    {
        using var full = BackboneModule.Create(BackboneCatalog.MobileNetV3Small);
        var ex = Assert.Throws<ArgumentException>(() => full.TruncateAfter("layer9"));
        Assert.Contains("stem, block1, block2, block3, block4, block5, top", ex.Message);
    }

    [Fact]
    public void Create_Vgg16_KeysMatchTorchVisionFeatures()
    {
        using var @base = BackboneModule.Create(BackboneCatalog.Vgg16);
        var keys = @base.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        Assert.Equal(26, keys.Length); // 13 convs x (weight, bias)
        Assert.Contains("features.0.weight", keys);
        Assert.Contains("features.28.bias", keys);
    }
}
