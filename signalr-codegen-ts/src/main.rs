//! `signalr-codegen-ts`: writes TypeScript client stubs for a hub contract, or checks them.
//!
//! ```text
//! signalr-codegen-ts --contract FILE --out DIR [--check] [--int64 number|bigint]
//!                    [--protocol json|messagepack|both]
//! ```
//!
//! Exit status: 0 when written (or up to date with `--check`), 1 when `--check` finds DIR stale,
//! 2 for a usage, reading or generation error.

use std::path::PathBuf;
use std::process::ExitCode;

use signalr_codegen_ts::{Contract, Int64, Options, Protocol, generate};

const USAGE: &str = "usage: signalr-codegen-ts --contract FILE --out DIR [--check] \
                     [--int64 number|bigint] [--protocol json|messagepack|both]";

/// Command-line settings.
struct Args {
    contract: PathBuf,
    out: PathBuf,
    check: bool,
    options: Options,
}

fn parse_args() -> Result<Args, String> {
    let mut contract = None;
    let mut out = None;
    let mut check = false;
    let mut options = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--contract" => contract = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--check" => check = true,
            "--int64" => options = options.int64(value()?.parse::<Int64>()?),
            "--protocol" => options = options.protocol(value()?.parse::<Protocol>()?),
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(Args {
        contract: contract.ok_or_else(|| format!("--contract is required\n{USAGE}"))?,
        out: out.ok_or_else(|| format!("--out is required\n{USAGE}"))?,
        check,
        options,
    })
}

fn run() -> Result<ExitCode, String> {
    let args = parse_args()?;
    let json = std::fs::read_to_string(&args.contract)
        .map_err(|error| format!("cannot read {}: {error}", args.contract.display()))?;
    let contract = Contract::from_json(&json)
        .map_err(|error| format!("{} is not a hub contract: {error}", args.contract.display()))?;
    let output = generate(&contract, &args.options)
        .map_err(|error| format!("{}: {error}", args.contract.display()))?;
    let out = args.out.display();
    if args.check {
        let stale = output
            .stale(&args.out)
            .map_err(|error| format!("cannot read {out}: {error}"))?;
        if stale.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "{out} is stale ({}); regenerate it with signalr-codegen-ts --contract {} --out {out}",
            stale.join(", "),
            args.contract.display()
        );
        return Ok(ExitCode::from(1));
    }
    output
        .write(&args.out)
        .map_err(|error| format!("cannot write {out}: {error}"))?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("signalr-codegen-ts: {message}");
            ExitCode::from(2)
        }
    }
}
