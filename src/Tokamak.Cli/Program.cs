return Tokamak.Cli.CliApp.Run(args);
