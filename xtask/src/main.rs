use std::process::ExitCode;

use xtask::{cli, dev, e2e, soak, test, tools, workspace};

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(err) => {
            eprintln!("error: {err}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    workspace::prepare_env();
    let result = match command {
        cli::Command::Test(options) => test::run(&options),
        cli::Command::Dev(options) => dev::run(options),
        cli::Command::E2e => {
            xtask::signals::install();
            tools::ensure(tools::Needs {
                spa: false,
                browser: true,
                devidp: true,
                nginx: false,
                failover: false,
            })
            .and_then(|()| e2e::run(e2e::BackendBuild::Build))
        }
        cli::Command::Soak(options) => {
            xtask::signals::install();
            soak::run(&options)
        }
        cli::Command::Tools => tools::ensure(tools::Needs::ALL),
        cli::Command::Help => {
            println!("{}", cli::USAGE);
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nerror: {err:#}");
            ExitCode::FAILURE
        }
    }
}
