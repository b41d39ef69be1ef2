use clap::Parser;

// Many small, short-lived allocations per request (headers, JSON, spans):
// mimalloc serves them faster than the system allocator under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use stackpro_server::cli::{run, Cli};

fn main() {
    // A document parser worker: confined and single-threaded, it must start
    // before any runtime does (see stackpro_assistant::sandbox).
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(stackpro_assistant::sandbox::WORKER_ARG) {
        std::process::exit(stackpro_assistant::sandbox::worker_main(&args[2..]));
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
