//! The app's configuration is `tauri.conf.json` at the repository root (beside `ui/` and
//! `assets/`, which it names), so plain `cargo build` needs no Tauri CLI.

fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri.conf.json at the repository root is valid");
}
