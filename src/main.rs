//! The `warmup` binary: parse arguments, run the command, map the outcome to an exit code.
//! Everything else lives in the library.

fn main() -> std::process::ExitCode {
    warmup::cli::main()
}
