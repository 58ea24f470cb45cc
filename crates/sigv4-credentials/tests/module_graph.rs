//! Issue #16 (shape): no import cycle among this crate's modules. Reads
//! `src/*.rs`, takes every `crate::<module>` path and every item imported
//! through a root re-export (`crate::CredentialsError` is the `error`
//! module), and fails on any cycle, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn idents(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| !w.is_empty())
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.extension().is_some_and(|e| e == "rs") && name != "lib" {
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests may import anything.
            let code = text.split("#[cfg(test)]").next().unwrap().to_string();
            modules.insert(name, code);
        }
    }
    // Root re-exports: `pub use module::{A, B};` / `pub use module::A;`.
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for stmt in lib.split(';') {
        let stmt = stmt.trim();
        let Some(rest) = stmt.strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        for item in idents(items) {
            owner.insert(item.to_string(), module.to_string());
        }
    }
    let mut edges = BTreeMap::new();
    for (name, code) in &modules {
        let mut to = BTreeSet::new();
        // `crate::x::...` and `use crate::{a, b::c}`.
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
                if modules.contains_key(t) {
                    to.insert(t.to_string());
                } else if let Some(m) = owner.get(t) {
                    to.insert(m.clone());
                }
            }
        }
        to.remove(name);
        edges.insert(name.clone(), to);
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
fn modules_import_each_other_without_cycles() {
    let edges = graph();
    assert!(edges.len() >= 15, "only {} modules found", edges.len());
    // The graph is read correctly: known edges are there.
    assert!(edges["sso"].contains("sts"), "{:?}", edges["sso"]);
    assert!(edges["context"].contains("http"), "{:?}", edges["context"]);
    assert!(
        edges["provider"].contains("error"),
        "{:?}",
        edges["provider"]
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
