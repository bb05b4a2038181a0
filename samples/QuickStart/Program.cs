// Quick start: fine-tune an ImageNet ResNet18 on 184 furniture renders in 5 classes, offline, in a few minutes on a
// laptop CPU. Run from the repository root:  dotnet run -c Release --project samples/QuickStart
// Optional argument: another image folder (one subfolder per class) instead of the embedded one.
using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using TransferLearning;
using TransferLearning.Backbones;
using TransferLearning.Data;
using TransferLearning.Heads;
using TransferLearning.Metrics;
using TransferLearning.Persistence;
using TransferLearning.Prediction;
using TransferLearning.Training;
using TransferLearning.Weights;

const int Seed = 42;
const int InputSize = 224;          // ResNet18's native size (the 128 px renders are upscaled)
const int HeadEpochs = 3;           // phase 1: cheap, the base features are computed once and cached
const int FineTuneEpochs = 4;       // phase 2: forward + backward through the base, the expensive part
const int UnfrozenBlocks = 1;       // layer4
const double HeadLearningRate = 1e-3;
const double FineTuneLearningRate = 1e-4; // the head's rate in phase 2; layer4 gets 1e-5 (BatchNorm stays in inference mode)

var total = Stopwatch.StartNew();
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));

string dataRoot = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "data");
var dataset = ImageDataset.FromFolder(dataRoot);
var splits = dataset.StratifiedSplit(validationFraction: 0.25, testFraction: 0.1, seed: Seed);
Console.WriteLine($"Data: {dataset.DescribeClasses()}");
Console.WriteLine($"Split: {splits.Train.Count} train, {splits.Validation.Count} validation, {splits.Test!.Count} test (stratified, seed {Seed})");

var backbone = BackboneCatalog.ResNet18Cntk;
var preprocessing = backbone.Preprocessing with { InputSize = InputSize, ResizeSize = InputSize };
IBatchSource Loader(ImageDataset data, bool train, bool augment = false) => new DataLoader(
    data,
    augment ? ImageTransform.ForTraining(preprocessing, new AugmentationOptions { MinCropScale = 0.7, MaxRotationDegrees = 5 }) : ImageTransform.ForEvaluation(preprocessing),
    new DataLoaderOptions { BatchSize = 16, Shuffle = train, Seed = Seed });
var validation = Loader(splits.Validation, train: false);
var testSet = Loader(splits.Test!, train: false);

// Phase 1, feature extraction: base frozen, new head trained on cached base features (deterministic transform).
var featureExtraction = TrainingPlan.HeadOnly(HeadEpochs, HeadLearningRate);

// Phase 2, fine-tuning: unfreeze the top block and continue at low, discriminative rates (layer4 ten times lower
// than the head) on lightly augmented images (random crops, flips, small rotations, colour jitter).
var fineTuning = new TrainingPlan
{
    Phases =
    [
        new TrainingPhase
        {
            Name = "fine-tuning",
            Epochs = FineTuneEpochs,
            Blocks = BlockSelection.Top(UnfrozenBlocks),
            // Discriminative rates: the head at FineTuneLearningRate, layer4 ten times lower.
            LearningRate = LearningRates.Decay(FineTuneLearningRate, 10),
        },
    ],
};

// 1) The real thing: ImageNet weights (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18, no download).
Console.WriteLine();
Console.WriteLine($"== {backbone.DisplayName}, ImageNet weights, input {InputSize}px");
using var model = BuildModel(Weights.ImageNet);
Train(model, featureExtraction, Loader(splits.Train, train: true));
var afterHead = Report(model, "feature extraction");
Train(model, fineTuning, Loader(splits.Train, train: true, augment: true));
var afterFineTuning = Report(model, $"fine-tuning ({string.Join("+", model.TrainableBlocks)})");

// 2) For contrast: the same head on the same architecture with random weights (feature extraction only).
Console.WriteLine();
Console.WriteLine("== Same head on random weights (no transfer), feature extraction only");
using var randomModel = BuildModel(Weights.Random);
Train(randomModel, featureExtraction, Loader(splits.Train, train: true));
var random = Report(randomModel, "random weights, feature extraction");

// 3) Save, reload, and classify held-out test images.
string modelPath = Path.Combine(AppContext.BaseDirectory, "quickstart-furniture.tlm");
TransferModelFile.Save(model, modelPath, new ModelMetadata
{
    Description = "QuickStart: ResNet18 (ImageNet, ML.NET ONNX) fine-tuned on sweethome3d furniture renders",
    Metrics = new Dictionary<string, double> { ["val_accuracy"] = afterFineTuning.Validation.Accuracy, ["test_accuracy"] = afterFineTuning.Test.Accuracy },
});
Console.WriteLine();
Console.WriteLine($"Saved {modelPath} ({new FileInfo(modelPath).Length / 1e6:F1} MB)");

using var predictor = Predictor.FromFile(modelPath, new PredictorOptions { TopK = 3 });
var test = splits.Test!;
var predictions = predictor.PredictBatch(test.Samples.Select(s => s.Path).ToArray());
int correct = test.Samples.Zip(predictions).Count(p => p.Second.Best.ClassIndex == p.First.Label);
Console.WriteLine($"Held-out test images: {correct}/{test.Count} correct. A few of them, top-3:");
foreach (var (sample, prediction) in test.Samples.Zip(predictions).Where((_, i) => i % Math.Max(1, test.Count / 6) == 0).Take(6))
{
    string top3 = string.Join(", ", prediction.Top.Select(t => $"{t.ClassName} {t.Probability:P0}"));
    string mark = prediction.Best.ClassIndex == sample.Label ? "ok " : "BAD";
    Console.WriteLine($"  {mark} {Path.GetFileName(sample.Path),-44} true {dataset.ClassNames[sample.Label],-18} -> {top3}");
}

Console.WriteLine();
Console.WriteLine($"Accuracy ({splits.Validation.Count} validation / {splits.Test.Count} test images; chance {1.0 / dataset.ClassNames.Count:P0})");
foreach (var (name, r) in new[] { ("random weights, head only", random), ("ImageNet, feature extraction", afterHead), ("ImageNet, + fine-tuning", afterFineTuning) })
{
    Console.WriteLine($"  {name,-30} validation {r.Validation.Accuracy,6:P1}   test {r.Test.Accuracy,6:P1}");
}

Console.WriteLine($"Total time {total.Elapsed.TotalSeconds:F0} s");
return 0;

// The same architecture and head for both models; only the base's weights differ.
TransferModel BuildModel(IWeightsSource weights) => new TransferModelBuilder()
    .WithBackbone(backbone)
    .WithWeights(weights)
    .WithInputSize(InputSize)
    .WithPreprocessing(preprocessing)
    .WithHead(new HeadOptions { HiddenSizes = [256], Dropout = 0.3 })
    .WithClasses(dataset.ClassNames)
    .WithSeed(Seed)
    .Build();

TrainingHistory Train(TransferModel m, TrainingPlan p, IBatchSource train, params TrainingCallback[] callbacks)
{
    using var trainer = new Trainer(m, new TrainerOptions { Seed = Seed });
    // Keras' verbose=2: one line per epoch (a phase line first).
    return trainer.Fit(train, validation, p, [new ConsoleProgress(), .. callbacks]);
}

(ClassificationMetrics Validation, ClassificationMetrics Test) Report(TransferModel m, string stage)
{
    var v = Evaluator.Evaluate(m, validation);
    var t = Evaluator.Evaluate(m, testSet);
    Console.WriteLine($"  -> after {stage}: validation accuracy {v.Accuracy:P1}, test accuracy {t.Accuracy:P1}");
    return (v, t);
}
