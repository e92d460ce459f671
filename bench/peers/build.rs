//! Passes the versions of candle and burn that Cargo.lock pins to the program, which prints them.

fn main() {
    println!("cargo:rerun-if-changed=Cargo.lock");
    let lock = std::fs::read_to_string("Cargo.lock").expect("Cargo.lock beside Cargo.toml");
    for (package, variable) in [("candle-core", "CANDLE_VERSION"), ("burn", "BURN_VERSION")] {
        let entry = format!("name = \"{package}\"\nversion = \"");
        let start = lock.find(&entry).expect("the package in Cargo.lock") + entry.len();
        let version = &lock[start..start + lock[start..].find('"').unwrap()];
        println!("cargo:rustc-env={variable}={version}");
    }
}
