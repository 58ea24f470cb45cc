#!/usr/bin/env python3
"""Lists Rust functions over 120 lines and files over 800 lines (the style limits of
DEVELOPERS.md) in crates/*/src and python/src.

A function's length counts the lines from its `fn` line to its closing brace, found by
brace matching that skips comments, strings (raw strings included) and char literals.
Unit-test modules (`#[cfg(test)] mod ...`) are not counted against the function limit:
tests may be longer when the data needs it.

Usage: python3 scripts/fn-length.py [--max-fn 120] [--max-file 800] [--allow PATH ...] [ROOT]
Exit status 1 when anything is over a limit (and not allowed), so CI can gate on it.
`--allow` takes paths (relative to ROOT) whose files are reported but do not fail.
"""

import argparse
import glob
import os
import re
import sys

FN_RE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?"
                   r"(?:extern\s+\"[^\"]*\"\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)")


def code_mask(text):
    """The text with comments, strings and char literals blanked (newlines kept), so that
    braces can be matched on it."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == "/" and nxt == "*":
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 260]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            j = n if end < 0 else end + 1 + len(hashes)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"' or (c == "b" and nxt == '"' and not (i and (text[i - 1].isalnum() or text[i - 1] == "_"))):
            j = i + (2 if c == "b" else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "'":
            # A char literal ('x', '\n', '\u{7f}', '{') or a lifetime ('a): blank literals only.
            m = re.match(r"'(?:\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:i + 12])
            if m:
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def test_module_lines(masked_lines):
    """Line indexes (0-based) inside `#[cfg(test)]` modules."""
    inside = set()
    for idx, line in enumerate(masked_lines):
        if "#[cfg(test)]" not in line:
            continue
        # The item after the attribute: a `mod` block.
        for k in range(idx + 1, min(idx + 4, len(masked_lines))):
            if re.match(r"\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", masked_lines[k]):
                end = block_end(masked_lines, k)
                inside.update(range(idx, end + 1))
                break
    return inside


def block_end(lines, start):
    """The line of the brace closing the first `{` at or after line `start`."""
    depth, opened = 0, False
    for k in range(start, len(lines)):
        for ch in lines[k]:
            if ch == "{":
                depth, opened = depth + 1, True
            elif ch == "}":
                depth -= 1
                if opened and depth == 0:
                    return k
            elif ch == ";" and not opened:
                return k  # a declaration without a body (trait method)
    return len(lines) - 1


def functions(path):
    text = open(path, encoding="utf-8").read()
    masked = code_mask(text).split("\n")
    tests = test_module_lines(masked)
    for idx, line in enumerate(masked):
        m = FN_RE.match(line)
        if not m or idx in tests:
            continue
        end = block_end(masked, idx)
        yield m.group(1), idx + 1, end - idx + 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--max-fn", type=int, default=120)
    ap.add_argument("--max-file", type=int, default=800)
    ap.add_argument("--allow", nargs="*", default=[], help="paths reported but not failing")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    files = sorted(glob.glob(os.path.join(root, "crates/*/src/**/*.rs"), recursive=True)
                   + glob.glob(os.path.join(root, "python/src/**/*.rs"), recursive=True))
    failing = 0
    for path in files:
        rel = os.path.relpath(path, root)
        allowed = any(rel == a or rel.startswith(a.rstrip("/") + "/") for a in args.allow)
        tag = " (allowed)" if allowed else ""
        with open(path, encoding="utf-8") as f:
            nlines = sum(1 for _ in f)
        if nlines > args.max_file:
            print(f"{rel}: file has {nlines} lines (> {args.max_file}){tag}")
            failing += not allowed
        for name, line, length in functions(path):
            if length > args.max_fn:
                print(f"{rel}:{line}: fn {name} has {length} lines (> {args.max_fn}){tag}")
                failing += not allowed
    if failing:
        print(f"{failing} over the limits", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
