//! The `ingest` command line, built inside the tests package so that integration
//! tests can run it: the same [`engine::cli::main`] as the shipped binary.

fn main() -> std::process::ExitCode {
    engine::cli::main()
}
