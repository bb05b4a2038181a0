// TorchSharp's random generator is process-global: tests that seed it (model initialisation, shuffling, dropout)
// would see other tests' draws if classes ran in parallel. Torch already uses every core for each op, so running
// test classes one after another costs little.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
