//! Rebuilds the server when the web UI's build output changes. Release
//! binaries embed `web/dist` at compile time (rust-embed), and cargo tracks
//! only the files it saw at the last build: without this, a binary built
//! before `make web` kept serving "the web UI is not built" after it. Cargo
//! scans a directory given here for any change, added files included.
fn main() {
    println!("cargo:rerun-if-changed=../../web/dist");
}
