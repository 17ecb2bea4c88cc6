#!/usr/bin/env python3
"""Checks that every C++ snippet in the documentation is code that a test compiles.

Scans README.md and docs/**/*.md. Every ```cpp block must follow (on the previous non-blank line) a
marker

    <!-- snippet: examples/FILE.cpp#NAME -->    the region between "// [snippet NAME]" and
                                                "// [end snippet]" in that file
    <!-- snippet: examples/FILE.cpp -->         the whole file

and its text must equal that region exactly, after removing the indentation common to all lines
(of the block and of the region separately) and blank lines at either end. A marker that is not
followed by a ```cpp block also fails. Prints one line per failure and "N passed, M failed"; the
exit status is 1 when anything failed. Standard library only.

Usage: check_snippets.py [REPO_ROOT]   (default: two directories above this file)
"""
import pathlib
import re
import sys
import textwrap

MARKER = re.compile(r"^\s*<!--\s*snippet:\s*([^#\s]+)(?:#([\w.-]+))?\s*-->\s*$")
FENCE_OPEN = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+#-]*)")
CPP_LANGS = {"cpp", "c++", "cxx", "cc", "hpp", "h++"}


def normalize(lines):
    text = textwrap.dedent("\n".join(line.rstrip() for line in lines))
    return text.strip("\n")


def region(root, path, name, cache):
    key = (path, name)
    if key in cache:
        return cache[key]
    file = root / path
    if not file.is_file():
        cache[key] = (None, "no such file: %s" % path)
        return cache[key]
    lines = file.read_text(encoding="utf-8").splitlines()
    if name is None:
        cache[key] = (normalize(lines), None)
        return cache[key]
    begin = [i for i, l in enumerate(lines) if l.strip() == "// [snippet %s]" % name]
    if len(begin) != 1:
        cache[key] = (None, "%s: %d regions named %r (want 1)" % (path, len(begin), name))
        return cache[key]
    end = next((i for i in range(begin[0] + 1, len(lines)) if lines[i].strip() == "// [end snippet]"), None)
    if end is None:
        cache[key] = (None, "%s: region %r has no '// [end snippet]'" % (path, name))
        return cache[key]
    cache[key] = (normalize(lines[begin[0] + 1:end]), None)
    return cache[key]


def blocks(lines):
    """Yields (first line number, fence language, body lines) for each fenced block."""
    i = 0
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m.group(2)
        start = i
        i += 1
        body = []
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        yield start, m.group(3).lower(), body
        i += 1


def check_file(root, md, cache, failures):
    lines = md.read_text(encoding="utf-8").splitlines()
    rel = md.relative_to(root)
    passed = 0
    used_markers = set()
    fenced = set()
    for start, lang, body in blocks(lines):
        fenced.update(range(start, start + len(body) + 2))
        if lang not in CPP_LANGS:
            continue
        prev = start - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        m = MARKER.match(lines[prev]) if prev >= 0 else None
        where = "%s:%d" % (rel, start + 1)
        if not m:
            failures.append("%s: ```%s block without a '<!-- snippet: FILE#NAME -->' marker" % (where, lang))
            continue
        used_markers.add(prev)
        want, err = region(root, m.group(1), m.group(2), cache)
        if err:
            failures.append("%s: %s" % (where, err))
            continue
        got = normalize(body)
        if got != want:
            a, b = got.splitlines(), want.splitlines()
            k = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
            failures.append("%s: differs from %s%s at snippet line %d:\n    doc:    %s\n    source: %s" % (
                where, m.group(1), "#" + m.group(2) if m.group(2) else "", k + 1,
                a[k] if k < len(a) else "<end>", b[k] if k < len(b) else "<end>"))
            continue
        passed += 1
    for i, line in enumerate(lines):
        if MARKER.match(line) and i not in used_markers and i not in fenced:
            failures.append("%s:%d: snippet marker not followed by a ```cpp block" % (rel, i + 1))
    return passed


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2]).resolve()
    pages = [root / "README.md"] + sorted((root / "docs").rglob("*.md"))
    cache, failures, passed = {}, [], 0
    for md in pages:
        if md.is_file():
            passed += check_file(root, md, cache, failures)
    for f in failures:
        print("FAIL " + f)
    print("%d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
