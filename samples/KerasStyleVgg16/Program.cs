// The Keras transfer-learning recipe with VGG16, in C#:
//   base = VGG16(weights="imagenet", include_top=False); base.trainable = False
//   head = Flatten -> Dense(256, relu) -> Dropout(0.5) -> Dense(classes)
//   train the head; then unfreeze block5 and fine-tune at 1e-5 (BatchNorm-free VGG: nothing else to freeze).
//
// Usage: dotnet run -c Release --project samples/KerasStyleVgg16 -- DATA_FOLDER WEIGHTS_FILE [options]
//   DATA_FOLDER   one subfolder per class (for example samples/QuickStart/data)
//   WEIGHTS_FILE  vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 (Keras) or vgg16-397923af.pth (torchvision)
//   --image-size N (150)  --epochs-head N (10)  --epochs-finetune N (5)  --batch-size N (16)  --val-split F (0.2)
using System.Globalization;
using TransferLearning;
using TransferLearning.Backbones;
using TransferLearning.Data;
using TransferLearning.Heads;
using TransferLearning.Metrics;
using TransferLearning.Persistence;
using TransferLearning.Training;
using TransferLearning.Weights;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var vgg16 = BackboneCatalog.Vgg16;
var positional = new List<string>();
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i < args.Length; i++)
{
    if (args[i].StartsWith("--", StringComparison.Ordinal))
    {
        if (i + 1 >= args.Length)
        {
            return Fail($"option {args[i]} needs a value.");
        }

        options[args[i]] = args[++i];
    }
    else
    {
        positional.Add(args[i]);
    }
}

if (positional.Count < 2)
{
    Console.Error.WriteLine("""
        KerasStyleVgg16 needs an image folder and the VGG16 ImageNet weights, which are not bundled (528 MB / 59 MB):
          dotnet run -c Release --project samples/KerasStyleVgg16 -- DATA_FOLDER WEIGHTS_FILE [--image-size 150] [--epochs-head 10] [--epochs-finetune 5]

        DATA_FOLDER: one subfolder per class, e.g. samples/QuickStart/data.
        WEIGHTS_FILE, either of:
        """);
    foreach (var w in vgg16.Pretrained)
    {
        Console.Error.WriteLine($"  {w.FileName,-52} {w.Origin}");
        Console.Error.WriteLine($"  {"",-52} {w.Url}");
    }

    Console.Error.WriteLine("""
        The Keras .h5 file ("notop") is read with Keras' own preprocessing (caffe: BGR minus the ImageNet mean); the
        torchvision .pth file with torchvision's (RGB, mean/std). Both give the VGG16 base with Keras block names.
        """);
    return 2;
}

string dataFolder = positional[0];
string weightsPath = positional[1];
if (!Directory.Exists(dataFolder))
{
    return Fail($"data folder '{dataFolder}' does not exist.");
}

if (!File.Exists(weightsPath))
{
    return Fail($"weights file '{weightsPath}' does not exist (run without arguments to see where to get it).");
}

int imageSize = IntOption("--image-size", 150);
int headEpochs = IntOption("--epochs-head", 10);
int fineTuneEpochs = IntOption("--epochs-finetune", 5);
int batchSize = IntOption("--batch-size", 16);
if (!double.TryParse(options.GetValueOrDefault("--val-split", "0.2"), NumberStyles.Float, CultureInfo.InvariantCulture, out var validationSplit) || validationSplit is <= 0 or >= 1)
{
    return Fail("--val-split expects a fraction between 0 and 1.");
}

try
{

    var format = Weights.DetectFormat(weightsPath);
    if (format is not (WeightsFormat.KerasH5 or WeightsFormat.PyTorch or WeightsFormat.SafeTensors or WeightsFormat.TorchSharpDat))
    {
        return Fail($"'{weightsPath}' is a {format} file; give the Keras .h5 or the torchvision .pth VGG16 weights.");
    }

    // Keras' VGG16 weights expect Keras' "caffe" preprocessing; torchvision's expect "torch".
    var preprocessing = (format == WeightsFormat.KerasH5 ? ImagePreprocessing.Caffe : ImagePreprocessing.Torch).WithInputSize(imageSize);

    var dataset = ImageDataset.FromFolder(dataFolder);
    var splits = dataset.StratifiedSplit(validationSplit, 0, seed: 1337);
    Console.WriteLine($"{dataset.Count} images, classes: {string.Join(", ", dataset.ClassNames)}; {splits.Train.Count} train / {splits.Validation.Count} validation");
    var train = new DataLoader(splits.Train, ImageTransform.ForEvaluation(preprocessing), new DataLoaderOptions { BatchSize = batchSize, Shuffle = true, Seed = 1337 });
    var validation = new DataLoader(splits.Validation, ImageTransform.ForEvaluation(preprocessing), new DataLoaderOptions { BatchSize = batchSize, Shuffle = false });

    // base_model = VGG16(weights=..., include_top=False, input_shape=(S, S, 3)); base_model.trainable = False
    // x = Flatten()(base); x = Dense(256, activation="relu")(x); x = Dropout(0.5)(x); outputs = Dense(classes)(x)
    using var model = new TransferModelBuilder()
        .WithBackbone(vgg16)
        .WithWeights(Weights.FromFile(weightsPath, format))
        .WithPreprocessing(preprocessing)
        .WithInputSize(imageSize)
        .WithHead(new HeadOptions { Pooling = PoolingKind.Flatten, HiddenSizes = [256], Activation = HeadActivation.ReLU, Dropout = 0.5 })
        .WithClasses(dataset.ClassNames)
        .WithSeed(1337)
        .Build();
    Console.WriteLine($"VGG16 base blocks: {string.Join(", ", model.BlockNames)}; head input {model.FeatureSize} (Flatten of the block5 map)");
    Console.WriteLine($"Parameters: {model.ParameterCount:N0} total, {model.TrainableParameterCount:N0} trainable (base frozen)");

    using var trainer = new Trainer(model, new TrainerOptions { Seed = 1337 });
    Console.WriteLine(model.Summary()); // model.summary()

    // model.compile(optimizer=Adam(1e-3)); model.fit(train, epochs=E1, validation_data=validation)
    var plan = new TrainingPlan
    {
        Phases =
        [
            new TrainingPhase { Name = "feature-extraction", Epochs = headEpochs, Blocks = BlockSelection.Frozen, LearningRate = LearningRates.Constant(1e-3) },
            // base_model.get_layer("block5_*").trainable = True; model.compile(optimizer=Adam(1e-5)); model.fit(...)
            new TrainingPhase { Name = "fine-tuning", Epochs = fineTuneEpochs, Blocks = BlockSelection.From("block5"), LearningRate = LearningRates.Constant(1e-5) },
        ],
    };
    var history = trainer.Fit(train, validation, plan, [new ConsoleProgress()]); // verbose=2: one line per epoch

    foreach (var phase in plan.Phases)
    {
        var last = history.Epochs.LastOrDefault(e => e.Phase == phase.Name);
        if (last is not null)
        {
            Console.WriteLine($"After {phase.Name}: validation accuracy {last.ValidationAccuracy:P1}");
        }
    }

    var final = Evaluator.Evaluate(model, validation);
    string output = Path.Combine(AppContext.BaseDirectory, "vgg16-keras-style.tlm");
    TransferModelFile.Save(model, output, new ModelMetadata
    {
        Description = "KerasStyleVgg16: VGG16 base, Flatten-Dense256-Dropout0.5 head, block5 fine-tuned at 1e-5",
        Metrics = new Dictionary<string, double> { ["val_accuracy"] = final.Accuracy, ["val_loss"] = final.Loss },
    });
    Console.WriteLine($"Final validation accuracy {final.Accuracy:P1} (balanced {final.BalancedAccuracy:P1}); saved {output}");
    return 0;
}
catch (Exception e) when (e is not OperationCanceledException)
{
    // A wrong or damaged weights file, an unreadable folder...: one line, no stack trace.
    Console.Error.WriteLine($"KerasStyleVgg16: {e.GetType().Name}: {e.Message}");
    return 1;
}

int IntOption(string name, int fallback)
{
    if (!options.TryGetValue(name, out var text))
    {
        return fallback;
    }

    if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0)
    {
        return value;
    }

    Environment.Exit(Fail($"{name} expects a non-negative integer, got '{text}'."));
    return fallback;
}

static int Fail(string message)
{
    Console.Error.WriteLine($"KerasStyleVgg16: {message}");
    return 2;
}
