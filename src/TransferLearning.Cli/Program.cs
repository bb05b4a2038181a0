using TransferLearning.Cli;

return TlApp.Run(args, CliEnvironment.FromProcess());
