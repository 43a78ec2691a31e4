//! Command-line parsing (a handful of flags: no parser crate).

use anyhow::{bail, Context, Result};

use crate::{dev, soak, test};

pub const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  test            run every check CI runs, installing missing tools first
                    --skip STEP   leave a step out (repeatable)
                    --only STEP   run only this step (repeatable)
                    steps: tools fmt clippy devidp cargo-test spa e2e soak
  dev             run the stack: Postgres, the dev provider (:4000), the backend (:8080)
                    --watch         also `trunk serve` with live reload on :8081
                    --release       build the backend in release mode
                    --throwaway-db  a private cluster in target/ even if Postgres runs
  e2e             only the end-to-end tests (after `test` built the SPA)
  soak            the backend under load, then a report (target/soak/report.md);
                  fails on any error, if its memory grows, or (10m and up) its p99
                    --duration D    how long the load runs (default 2m; 1h, 30m...)
                    --sessions N    sessions signed in and kept (default 5000)
                    --clients N     concurrent clients (default 16)
                    --rate N        requests a second in all (default 150)
                    --bucket D      report buckets (default 10s, 1m from 10m up)
                    --out DIR       where the report goes (default target/soak)
                    --report-only   write the report again from DIR's samples.json
  tools           only check/install the tools
  help            this text

environment:
  DATABASE_URL               `dev` uses it instead of a local/throwaway database
  TEST_DATABASE_ADMIN_URL    superuser URL for test databases
                             (default postgres://postgres@127.0.0.1:5432/postgres)
  E2E_CHROMIUM               browser for the e2e tests (default /usr/bin/chromium)
  E2E_TESTS                  only these e2e test files (e.g. tests/messages.test.js)
  CI                         set in CI: cargo runs with --locked";

#[derive(Debug)]
pub enum Command {
    Test(test::Options),
    Dev(dev::Options),
    E2e,
    Soak(soak::Options),
    Tools,
    Help,
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        return Ok(Command::Help);
    };
    let rest: Vec<String> = args.collect();
    let no_options = |command: Command| -> Result<Command> {
        match rest.first() {
            Some(arg) => bail!("unexpected argument `{arg}`"),
            None => Ok(command),
        }
    };
    match command.as_str() {
        "test" => {
            let mut options = test::Options::default();
            let mut rest = rest.into_iter();
            while let Some(arg) = rest.next() {
                let (flag, inline) = match arg.split_once('=') {
                    Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
                    None => (arg.clone(), None),
                };
                let mut value = || -> Result<String> {
                    inline
                        .clone()
                        .or_else(|| rest.next())
                        .with_context(|| format!("{flag} needs a step name"))
                };
                match flag.as_str() {
                    "--skip" => options.skip.push(value()?),
                    "--only" => options.only.push(value()?),
                    _ => bail!("unknown option `{arg}` for `test`"),
                }
            }
            Ok(Command::Test(options))
        }
        "dev" => {
            let mut options = dev::Options::default();
            for arg in rest {
                match arg.as_str() {
                    "--watch" => options.watch = true,
                    "--release" => options.release = true,
                    "--throwaway-db" => options.throwaway_db = true,
                    _ => bail!("unknown option `{arg}` for `dev`"),
                }
            }
            Ok(Command::Dev(options))
        }
        "e2e" => no_options(Command::E2e),
        "soak" => Ok(Command::Soak(soak::Options::parse(rest)?)),
        "tools" => no_options(Command::Tools),
        "help" | "-h" | "--help" => Ok(Command::Help),
        other => bail!("unknown command `{other}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Command> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn parses_commands() {
        match parse_str("test --skip e2e --only=fmt").unwrap() {
            Command::Test(o) => {
                assert_eq!(o.skip, ["e2e"]);
                assert_eq!(o.only, ["fmt"]);
            }
            other => panic!("{other:?}"),
        }
        match parse_str("dev --watch --throwaway-db").unwrap() {
            Command::Dev(o) => assert!(o.watch && o.throwaway_db && !o.release),
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse_str("").unwrap(), Command::Help));
        assert!(parse_str("test --skip").is_err());
        assert!(parse_str("dev --fast").is_err());
        assert!(parse_str("e2e extra").is_err());
        match parse_str("soak --duration 1h --sessions 200").unwrap() {
            Command::Soak(o) => {
                assert_eq!(o.duration, std::time::Duration::from_secs(3600));
                assert_eq!(o.sessions, 200);
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_str("soak --duration").is_err());
        assert!(parse_str("deploy").is_err());
    }
}
