//! Issue #21 item 5 (shape): no import cycle among the CLI's modules. Reads `src/`, takes
//! every `crate::<module>` path (a file under `src/<dir>/` belongs to module `<dir>`; a
//! root-exported macro such as `crate::outln!` to the module defining it) and fails on any
//! cycle, naming it. `main.rs` is the root: every module may use its `CliError`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn idents(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| !w.is_empty())
}

/// `(module, code without unit tests)` for every `.rs` file under `dir`, the module being
/// the top-level one the file belongs to.
fn sources(dir: &Path, top: Option<&str>, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let module = top.unwrap_or(&name).to_string();
        if path.is_dir() {
            sources(&path, Some(&module), out);
        } else if path.extension().is_some_and(|e| e == "rs") && module != "main" {
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests may import anything.
            let code = text.split("#[cfg(test)]").next().unwrap().to_string();
            out.push((module, code));
        }
    }
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        None,
        &mut files,
    );
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    // Root-exported macros belong to the module that defines them.
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for (module, code) in &files {
        for (i, _) in code.match_indices("macro_rules! ") {
            let name = idents(&code[i + "macro_rules! ".len()..]).next().unwrap();
            owner.insert(name.to_string(), module.clone());
        }
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for (module, code) in &files {
        let to = edges.get_mut(module).unwrap();
        // `crate::x::...`, `crate::m!` and `use crate::{a, b::c}`.
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let targets: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end]
                    .split(',')
                    .map(|p| p.trim().split("::").next().unwrap_or(""))
                    .collect()
            } else {
                vec![idents(rest)
                    .next()
                    .unwrap_or("")
                    .split("::")
                    .next()
                    .unwrap()]
            };
            for t in targets {
                if modules.contains(t) {
                    to.insert(t.to_string());
                } else if let Some(m) = owner.get(t) {
                    to.insert(m.clone());
                }
            }
        }
        to.remove(module);
    }
    edges
}

/// A cycle through `start`, if any (depth-first search).
fn cycle_from(
    edges: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    let here = path.last().unwrap().clone();
    for next in &edges[&here] {
        if next == start {
            let mut c = path.clone();
            c.push(start.to_string());
            return Some(c);
        }
        if !path.contains(next) && next.as_str() > start {
            path.push(next.clone());
            if let Some(c) = cycle_from(edges, start, path) {
                return Some(c);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn cli_modules_import_each_other_without_cycles() {
    let edges = graph();
    assert!(edges.len() >= 12, "only {} modules found", edges.len());
    // The graph is read correctly: known edges are there.
    assert!(
        edges["presign_cmd"].contains("net"),
        "{:?}",
        edges["presign_cmd"]
    );
    assert!(edges["proxy"].contains("skew"), "{:?}", edges["proxy"]);
    assert!(
        edges["credentials"].contains("out"),
        "the outln! macro is out's: {:?}",
        edges["credentials"]
    );
    let mut cycles = Vec::new();
    for start in edges.keys() {
        if let Some(c) = cycle_from(&edges, start, &mut vec![start.clone()]) {
            cycles.push(c.join(" -> "));
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_checker_finds_a_cycle() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.insert("a".into(), ["b".to_string()].into());
    edges.insert("b".into(), ["c".to_string()].into());
    edges.insert("c".into(), ["a".to_string()].into());
    let c = cycle_from(&edges, "a", &mut vec!["a".into()]).unwrap();
    assert_eq!(c.join(" -> "), "a -> b -> c -> a");
}
