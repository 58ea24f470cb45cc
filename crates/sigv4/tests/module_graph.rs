//! Issue 23 item 4: no import cycle among this crate's modules, at two levels.
//!
//! * The top-level modules (`src/x.rs` or `src/x/`): every `crate::x` path and every item
//!   taken through a root re-export (`crate::Signer` is the `sign` module) is an edge.
//! * Inside each module directory, its files: `super::y` and `crate::dir::y` are edges.
//!
//! Comments (doc links included) and unit tests (`#[cfg(test)]` onwards) are not code
//! that imports, so they are left out. A cycle fails the test, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

fn idents(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| !w.is_empty())
}

/// The code of a file: no comment lines, nothing from `#[cfg(test)]` on.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let code = text.split("#[cfg(test)]").next().unwrap();
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first path segment after each occurrence of `prefix` (`prefix{a, b::c}` gives
/// `a` and `b`).
fn targets_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        // `xsuper::` is not `super::`.
        if code[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let rest = &code[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for p in group[..end].split(',') {
                out.push(p.trim().split("::").next().unwrap_or("").trim());
            }
        } else {
            out.push(
                idents(rest)
                    .next()
                    .unwrap_or("")
                    .split("::")
                    .next()
                    .unwrap(),
            );
        }
    }
    out
}

/// Files of `dir` (recursively), as (module name relative to `dir`'s level, code).
fn files(dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() || path.extension().is_some_and(|e| e == "rs") {
            out.push((name, path));
        }
    }
    out.sort();
    out
}

fn all_code(path: &Path) -> String {
    if path.is_dir() {
        files(path)
            .iter()
            .map(|(_, p)| all_code(p))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        code_of(path)
    }
}

/// Items a module root (`lib.rs`, `mod.rs`) imports from its children, by the child
/// they come from (`pub use sign::Signer;` makes `crate::Signer` the `sign` module).
fn reexports(root: &Path) -> BTreeMap<String, String> {
    let lib = code_of(root);
    let mut owner = BTreeMap::new();
    for stmt in lib.split(';') {
        let stmt = stmt.trim();
        let stmt = stmt.rsplit_once(']').map_or(stmt, |(_, s)| s.trim());
        let Some(rest) = ["pub use ", "pub(crate) use ", "pub(super) use ", "use "]
            .iter()
            .find_map(|p| stmt.strip_prefix(p))
        else {
            continue;
        };
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        for item in idents(items) {
            owner.insert(item.to_string(), module.to_string());
        }
    }
    owner
}

fn top_level_graph(src: &Path) -> Graph {
    let owner = reexports(&src.join("lib.rs"));
    // `x.rs` and `x/` (its children) are one module.
    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    for (n, p) in files(src) {
        if n != "lib" {
            modules.entry(n).or_default().push_str(&all_code(&p));
        }
    }
    let mut edges = Graph::new();
    for (name, code) in &modules {
        let mut to = BTreeSet::new();
        for t in targets_after(code, "crate::") {
            if modules.contains_key(t) {
                to.insert(t.to_string());
            } else if let Some(m) = owner.get(t) {
                to.insert(m.clone());
            }
        }
        to.remove(name);
        edges.insert(name.clone(), to);
    }
    edges
}

/// The graph of the files inside module directory `dir` (named `module`).
fn directory_graph(dir: &Path, module: &str) -> Graph {
    // The parent's code is `dir/mod.rs` or `dir.rs`.
    let root = dir.join("mod.rs");
    let owner = reexports(&if root.exists() {
        root
    } else {
        dir.with_extension("rs")
    });
    let modules: BTreeMap<String, String> = files(dir)
        .into_iter()
        .map(|(n, p)| (n, all_code(&p)))
        .collect();
    let mut edges = Graph::new();
    for (name, code) in &modules {
        let mut to = BTreeSet::new();
        let mut targets = targets_after(code, "super::");
        targets.extend(targets_after(code, &format!("crate::{module}::")));
        for t in targets {
            if modules.contains_key(t) && t != "mod" {
                to.insert(t.to_string());
            } else if let Some(m) = owner.get(t).filter(|m| modules.contains_key(*m)) {
                to.insert(m.clone());
            }
        }
        to.remove(name);
        edges.insert(name.clone(), to);
    }
    edges
}

/// A cycle through `start`, if any (depth-first search).
fn cycle_from(edges: &Graph, start: &str, path: &mut Vec<String>) -> Option<Vec<String>> {
    let here = path.last().unwrap().clone();
    for next in edges.get(&here).into_iter().flatten() {
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

fn cycles(edges: &Graph) -> Vec<String> {
    edges
        .keys()
        .filter_map(|start| cycle_from(edges, start, &mut vec![start.clone()]))
        .map(|c| c.join(" -> "))
        .collect()
}

#[test]
fn modules_import_each_other_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let top = top_level_graph(&src);
    assert!(top.len() >= 18, "only {} modules found", top.len());
    // The graph is read correctly: known edges are there.
    assert!(top["sigv4a"].contains("sign"), "{:?}", top["sigv4a"]);
    assert!(top["verify"].contains("eventstream"), "{:?}", top["verify"]);
    assert!(top["sign"].contains("string_to_sign"), "{:?}", top["sign"]);
    // One aws-chunked verifier, in `verify`: `chunked` re-exports its old SigV4a names,
    // so `verify` takes the shared building blocks from `streaming` and `checksum`, never
    // from `chunked`.
    assert!(top["chunked"].contains("verify"), "{:?}", top["chunked"]);
    assert!(!top["verify"].contains("chunked"), "{:?}", top["verify"]);
    assert!(top["verify"].contains("streaming"), "{:?}", top["verify"]);
    let mut found = cycles(&top);
    for (name, path) in files(&src) {
        if path.is_dir() {
            let inner = directory_graph(&path, &name);
            found.extend(cycles(&inner).into_iter().map(|c| format!("{name}: {c}")));
        }
    }
    let sign = directory_graph(&src.join("sign"), "sign");
    assert!(sign["presign"].contains("signer"), "{:?}", sign["presign"]);
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn the_checker_finds_a_cycle() {
    let mut edges = Graph::new();
    edges.insert("a".into(), ["b".to_string()].into());
    edges.insert("b".into(), ["c".to_string()].into());
    edges.insert("c".into(), ["a".to_string()].into());
    assert_eq!(cycles(&edges), ["a -> b -> c -> a"]);
    assert_eq!(
        targets_after("use super::{a, b::c};\nlet x = crate::d::e;", "super::"),
        ["a", "b"]
    );
}
