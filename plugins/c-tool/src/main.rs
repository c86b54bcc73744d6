//! `ringway-c-tool`: what a plugin written in C needs beyond clang, and the step that makes a
//! Rust plugin built for `wasm32-unknown-unknown` a component (`make plugins`).
//!
//! ```text
//! ringway-c-tool bindings WIT_DIR OUT_DIR      # router.h, router.c, router_component_type.o
//! ringway-c-tool component CORE.wasm OUT.wasm  # the core module as a component
//! ```
//!
//! The bindings come from the same WIT the host and the Rust SDK use (`sdk/wit/`), so a C plugin
//! cannot drift from the contract. The component step needs no WASI adapter: a plugin that links
//! only libc's allocator and string functions imports nothing but `ringway:plugin/host`.

use anyhow::{Context, Result, bail};
use std::path::Path;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["bindings", wit, out] => bindings(Path::new(wit), Path::new(out)),
        ["component", core, out] => component(Path::new(core), Path::new(out)),
        _ => bail!("usage: ringway-c-tool bindings WIT_DIR OUT_DIR | component CORE.wasm OUT.wasm"),
    }
}

/// Writes the C bindings of the `router` world of the WIT package in `wit` into `out`.
fn bindings(wit: &Path, out: &Path) -> Result<()> {
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_path(wit).with_context(|| format!("reading {}", wit.display()))?;
    let world = resolve.select_world(&[package], Some("router"))?;
    let mut files = wit_bindgen_core::Files::default();
    wit_bindgen_c::Opts::default().build().generate(&mut resolve, world, &mut files)?;
    std::fs::create_dir_all(out)?;
    for (name, bytes) in files.iter() {
        let path = out.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Encodes the core module `core` (carrying the component type section the bindings' object
/// file put there) as a component at `out`.
fn component(core: &Path, out: &Path) -> Result<()> {
    let module = std::fs::read(core).with_context(|| format!("reading {}", core.display()))?;
    let component = wit_component::ComponentEncoder::default().module(&module)?.validate(true).encode()?;
    std::fs::write(out, component).with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}
