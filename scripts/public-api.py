#!/usr/bin/env python3
"""The public API of a crate as a sorted list of paths, from its rustdoc JSON (issue 27).

    python3 scripts/public-api.py CRATE.json               # one line per public item
    python3 scripts/public-api.py OLD.json NEW.json        # removed (-) and added (+) lines
                                                           # (a whole new or removed item: one line)

A path is how a user names the item: modules walked from the crate root, `pub use`
re-exports followed (globs included), public fields, variants, inherent methods and
associated consts as `Type::name`, trait items as `Trait::name`, and each trait a type
implements as `Type: impl Trait`. scripts/semver-check.sh uses it to list what the
CHANGELOG must describe; cargo-semver-checks judges signatures, this lists names.
"""
import json
import sys


# Traits the compiler implements along with a derive; not something a user names.
COMPILER_MARKERS = {"StructuralPartialEq", "TrivialClone"}


def parent(path):
    """The item a member line belongs to (`a::T` for `a::T::f`, `a::T.x`, `a::T: impl C`)."""
    for separator in (": impl ", "."):
        if separator in path.rsplit("::", 1)[-1]:
            return path[: path.rindex(separator)]
    return path.rsplit("::", 1)[0] if "::" in path else None


def folded(paths):
    """The paths whose parent is not in the set too: a whole new type is one line."""
    return sorted(p for p in paths if parent(p) not in paths)


def public_paths(doc):
    index = doc["index"]
    out = {}

    def item(id_):
        return index.get(str(id_))

    def kind_of(it):
        return next(iter(it["inner"]))

    def members(it, path):
        kind = kind_of(it)
        inner = it["inner"][kind]
        if kind == "struct":
            plain = inner.get("kind", {})
            fields = plain.get("plain", {}).get("fields", []) if isinstance(plain, dict) else []
            for fid in fields:
                field = item(fid)
                if field and field["visibility"] == "public":
                    out[f"{path}.{field['name']}"] = "field"
        if kind == "enum":
            for vid in inner.get("variants", []):
                variant = item(vid)
                if variant:
                    out[f"{path}::{variant['name']}"] = "variant"
        if kind == "trait":
            for mid in inner.get("items", []):
                member = item(mid)
                if member:
                    out[f"{path}::{member['name']}"] = kind_of(member)
        for iid in inner.get("impls", []):
            impl = item(iid)
            if not impl:
                continue
            body = impl["inner"]["impl"]
            if body.get("is_synthetic") or body.get("blanket_impl"):
                continue
            trait = body.get("trait")
            if trait:
                name = trait.get("path") or trait.get("name")
                if name not in COMPILER_MARKERS:
                    out[f"{path}: impl {name}"] = "impl"
                continue
            for mid in body.get("items", []):
                member = item(mid)
                if member and member["visibility"] == "public":
                    out[f"{path}::{member['name']}"] = kind_of(member)

    def emit(it, path, seen):
        kind = kind_of(it)
        out[path] = kind
        if kind == "module":
            walk(it, path, seen)
        elif kind in ("struct", "enum", "trait", "union"):
            members(it, path)
        elif kind == "type_alias":
            # `pub type A = B;` of a local type: A's members are B's.
            target = it["inner"][kind]["type"].get("resolved_path", {}).get("id")
            aliased = item(target) if target is not None else None
            if aliased and kind_of(aliased) in ("struct", "enum", "union"):
                members(aliased, path)

    def walk(module, prefix, seen):
        if module["id"] in seen:
            return
        seen = seen | {module["id"]}
        for cid in module["inner"]["module"]["items"]:
            it = item(cid)
            if not it or it["visibility"] != "public":
                continue
            if kind_of(it) != "use":
                emit(it, f"{prefix}::{it['name']}", seen)
                continue
            use = it["inner"]["use"]
            target = item(use["id"]) if use.get("id") is not None else None
            if use["is_glob"]:
                if target and kind_of(target) == "module":
                    walk(target, prefix, seen)
                else:
                    out[f"{prefix}::* (from {use['source']})"] = "use"
            elif target:
                emit(target, f"{prefix}::{use['name']}", seen)
            else:
                out[f"{prefix}::{use['name']}"] = f"re-export of {use['source']}"

    root = item(doc["root"])
    walk(root, root["name"], frozenset())
    return out


def main(argv):
    if len(argv) == 2:
        for path, kind in sorted(public_paths(json.load(open(argv[1]))).items()):
            print(f"{path}  [{kind}]")
        return 0
    if len(argv) == 3:
        old = public_paths(json.load(open(argv[1])))
        new = public_paths(json.load(open(argv[2])))
        removed = set(old) - set(new)
        added = set(new) - set(old)
        lines = [(p, "-", old[p]) for p in folded(removed)] + [(p, "+", new[p]) for p in folded(added)]
        for path, sign, kind in sorted(lines):
            print(f"{sign} {path}  [{kind}]")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
