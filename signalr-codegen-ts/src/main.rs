//! `signalr-codegen-ts`: writes TypeScript client stubs for a hub contract, or checks them.
//!
//! ```text
//! signalr-codegen-ts --contract FILE --out DIR [--check] [--int64 number|bigint]
//!                    [--protocol json|messagepack|both]
//! ```
//!
//! Exit status: 0 when written (or up to date with `--check`), 1 when `--check` finds DIR stale,
//! 2 for a usage, reading or generation error. `--help` describes each option (status 0).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser as _};
use signalr_codegen_ts::{Contract, Int64, Options, Protocol, generate};

/// Writes TypeScript client stubs for `@microsoft/signalr` from a signalr-runtime hub contract,
/// or checks that a folder of them is up to date.
///
/// Exit status: 0 when written (or up to date with --check), 1 when --check finds DIR stale, 2
/// for a usage, reading or generation error.
#[derive(Debug, Parser)]
#[command(version, args_override_self = true)]
struct Args {
    /// The hub contract: the JSON that `signalr_runtime::contract::Manifest` writes.
    #[arg(long, value_name = "FILE")]
    contract: PathBuf,
    /// The folder to write the TypeScript to (or to check, with --check).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Write nothing; fail with status 1 when DIR differs from what would be written.
    #[arg(long)]
    check: bool,
    /// How to type 64-bit integers; without it, a contract that has any is refused.
    #[arg(long, value_name = "TYPE", value_parser = PossibleValuesParser::new(["number", "bigint"])
        .try_map(|text| text.parse::<Int64>()))]
    int64: Option<Int64>,
    /// The hub protocol whose values byte arrays and date-times are typed as.
    #[arg(long, value_name = "PROTOCOL", default_value = "json", value_parser = PossibleValuesParser::new([
            PossibleValue::new("json"),
            PossibleValue::new("messagepack").alias("msgpack"),
            PossibleValue::new("both"),
        ])
        .try_map(|text| text.parse::<Protocol>()))]
    protocol: Protocol,
}

impl Args {
    /// The generator's options.
    fn options(&self) -> Options {
        let options = Options::default().protocol(self.protocol);
        match self.int64 {
            Some(int64) => options.int64(int64),
            None => options,
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let args = Args::parse();
    let json = std::fs::read_to_string(&args.contract)
        .map_err(|error| format!("cannot read {}: {error}", args.contract.display()))?;
    let contract = Contract::from_json(&json)
        .map_err(|error| format!("{} is not a hub contract: {error}", args.contract.display()))?;
    let output = generate(&contract, &args.options())
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
