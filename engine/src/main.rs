//! `ingest`: the command-line front of the engine (SPEC 8). Everything is in
//! [`engine::cli`]; this file only hands the process over to it.

/// mimalloc: the pipeline allocates and frees many small buffers on several
/// threads at once (lists of links, merged records); glibc's allocator spent
/// about 5% of a multi-object import in `malloc`/`free` and consolidation.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    engine::cli::main()
}
