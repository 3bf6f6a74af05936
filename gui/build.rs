//! Embeds every shipped scenario (`scenarios/**/*.toml`) in the lab, for the
//! browser, which has no file system to read them from: writes
//! `$OUT_DIR/shipped_scenarios.rs`, a sorted list of
//! `("scenarios/<folder>/<name>.toml", include_str!(<the file>))`.

use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("..");
    let scenarios = root.join("scenarios");
    // A folder here is scanned whole by cargo: an added, removed or edited
    // scenario rebuilds the list.
    println!("cargo:rerun-if-changed={}", scenarios.display());
    let mut files = Vec::new();
    collect(&scenarios, &mut files);
    files.sort();
    let mut out = String::from(
        "/// Every shipped scenario: its path from the repository root, and its text.\n\
         pub static SHIPPED: &[(&str, &str)] = &[\n",
    );
    for file in &files {
        let shown = file
            .strip_prefix(&root)
            .expect("under the repository")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let absolute = fs::canonicalize(file).expect("a scenario file that exists");
        out.push_str(&format!(
            "    ({shown:?}, include_str!({:?})),\n",
            absolute.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"))
        .join("shipped_scenarios.rs");
    fs::write(dest, out).expect("write the list of shipped scenarios");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}
