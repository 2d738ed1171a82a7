//! `ingest`: the command-line front of the engine (SPEC 8). Everything is in
//! [`engine::cli`]; this file only hands the process over to it.

fn main() -> std::process::ExitCode {
    engine::cli::main()
}
