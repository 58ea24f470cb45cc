"""Issue 23 item 4: no import cycle among the Rust modules of the extension (python/src),
as each Rust crate's `tests/module_graph.rs` checks its own.

Every `crate::<module>` path (and `use crate::{a, b::c}` group) in `src/<module>.rs` is an
edge; comment lines and unit tests (`#[cfg(test)]` onwards) are left out. A cycle fails the
test, naming it. Reads the source tree only (runs with the installed wheel too).
"""

import pathlib
import re

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"


def code_of(path):
    text = path.read_text(encoding="utf-8").split("#[cfg(test)]")[0]
    return "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("//"))


def targets(code):
    out = []
    for m in re.finditer(r"(?<![A-Za-z0-9_])crate::", code):
        rest = code[m.end():]
        if rest.startswith("{"):
            group = rest[1:rest.find("}")]
            out += [p.strip().split("::")[0] for p in group.split(",")]
        else:
            out.append(re.match(r"[A-Za-z0-9_]*", rest).group(0))
    return out


def graph(src=SRC):
    modules = {p.stem: code_of(p) for p in src.glob("*.rs") if p.stem != "lib"}
    return {
        name: sorted({t for t in targets(code) if t in modules and t != name})
        for name, code in modules.items()
    }


def cycles(edges):
    found = []

    def walk(start, path):
        for nxt in edges.get(path[-1], []):
            if nxt == start:
                return path + [start]
            if nxt not in path and nxt > start:
                c = walk(start, path + [nxt])
                if c:
                    return c
        return None

    for start in sorted(edges):
        c = walk(start, [start])
        if c:
            found.append(" -> ".join(c))
    return found


def test_modules_import_each_other_without_cycles():
    edges = graph()
    assert len(edges) >= 10, edges
    # The graph is read correctly: known edges are there.
    assert "credentials" in edges["signer"], edges["signer"]
    assert "chain" in edges["refreshable"], edges["refreshable"]
    assert "request" in edges["credentials"], edges["credentials"]
    assert cycles(edges) == [], "import cycles:\n" + "\n".join(cycles(edges))


def test_the_checker_finds_a_cycle():
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a -> b -> c -> a"]
    assert targets("use crate::{a, b::c};\nlet x = crate::d::e; xcrate::f") == ["a", "b", "d"]
