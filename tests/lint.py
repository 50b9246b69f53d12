#!/usr/bin/env python3
"""The rules of docs/ARCHITECTURE.md and ../shared STYLE that a script can
check (like curl's checksrc), part of `make check`. Over every C file of the
tree (tests included):

  banned     no sprintf, vsprintf, strcpy, strcat, strtok, atoi, atol, gets
  prefix     a function a file exports (defined without `static`) starts
             with the file's name, its first word or its folder's name
             (common/util_time.c: util_time_, util_, common_), or an alias
             listed below with its reason
  length     no file over 600 lines without a line "lint: long file: REASON"
             in its first 40 lines
  circle     no include circle between files of one folder

Prints each finding with its file and line, then "lint: N files, N findings";
exits 1 when there is a finding.
"""
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if len(sys.argv) > 1 and sys.argv[1] != "--self-test":
    TOP = sys.argv[1]
SRC_DIRS = ["common", "conf", "transport", "repo", "state", "agent", "jobrun",
            "scheduler", "cli", "tests/unit", "tests/fakes", "tests/fuzz", "tests/fault"]
LONG = 600

# Exports whose prefix is not their file's, and why.
ALIASES = {
    "common/alloc.c": ("x", "the allocators that abort on failure: xmalloc, xasprintf"),
    "common/fsutil.c": ("fs_", "file-system helpers"),
    "common/jsonx.c": ("jx_", "JSON accessors"),
    "agent/cbtmap.c": ("cbt_", "the pure half of changed-block tracking (agent/cbt.c)"),
    "agent/sequence.c": ("seq_", "the sequence's public prefix (agent/sequence.h)"),
}

BANNED = re.compile(r"\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)\s*\(")
DEFN = re.compile(r"^([a-z_][a-z0-9_]*)\(")
INCLUDE = re.compile(r'^#include "([^"]+)"')


def c_files():
    for d in SRC_DIRS:
        full = os.path.join(TOP, d)
        if not os.path.isdir(full):
            continue
        for name in sorted(os.listdir(full)):
            if name.endswith((".c", ".h")):
                yield os.path.join(d, name)


def strip_comments_and_strings(line, in_comment):
    """The code of LINE without comments and string literals."""
    out = []
    i = 0
    while i < len(line):
        if in_comment:
            j = line.find("*/", i)
            if j < 0:
                return "".join(out), True
            i = j + 2
            in_comment = False
        elif line.startswith("/*", i):
            in_comment = True
            i += 2
        elif line.startswith("//", i):
            break
        elif line[i] == '"':
            j = i + 1
            while j < len(line) and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            out.append('""')
            i = j + 1
        else:
            out.append(line[i])
            i += 1
    return "".join(out), in_comment


def prefixes(rel):
    folder, name = os.path.split(rel)
    base = name[:-2]
    ok = [base + "_", base.split("_")[0] + "_", os.path.basename(folder) + "_"]
    if rel in ALIASES:
        ok.append(ALIASES[rel][0])
    return ok


def main():
    findings = []
    files = list(c_files())
    includes = {}
    for rel in files:
        with open(os.path.join(TOP, rel), encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        if len(lines) - 1 > LONG and not any("lint: long file:" in l for l in lines[:40]):
            findings.append("%s: %d lines (over %d) and no 'lint: long file: REASON' at its top"
                            % (rel, len(lines) - 1, LONG))
        in_comment = False
        prev = ""
        folder = os.path.dirname(rel)
        includes[rel] = set()
        for n, line in enumerate(lines, 1):
            m = INCLUDE.match(line)
            if m and os.path.dirname(m.group(1)) == folder:
                includes[rel].add(m.group(1))
            code, in_comment = strip_comments_and_strings(line, in_comment)
            m = BANNED.search(code)
            if m:
                findings.append("%s:%d: %s() is banned (STYLE.md): use snprintf, strtol or a bounded copy"
                                % (rel, n, m.group(1)))
            m = DEFN.match(line)
            if (m and rel.endswith(".c") and not rel.startswith("tests/")
                    and prev.strip() and not prev.startswith("static")
                    and not prev.rstrip().endswith((";", "{", "}", ",", ")"))):
                name = m.group(1)
                if not any(name.startswith(p) or name == p[:-1] for p in prefixes(rel)):
                    findings.append("%s:%d: %s is exported without the file's prefix (%s)"
                                    % (rel, n, name, " or ".join(prefixes(rel))))
            prev = line
    # Include circles inside a folder: a depth-first search over the
    # headers each file includes (only headers are included: a circle is
    # one of headers).
    graph = {rel: set(incs) for rel, incs in includes.items() if rel.endswith(".h")}
    state = {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cyc = path[path.index(nxt):] + [nxt]
                findings.append("include circle: " + " -> ".join(cyc))
            elif state.get(nxt) is None and nxt in graph:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if state.get(node) is None:
            visit(node, [node])
    for f in findings:
        print("lint: " + f)
    print("lint: %d files, %d findings" % (len(files), len(findings)))
    return 1 if findings else 0


def self_test():
    """A tree with one of each finding: the checks must see all of them."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as t:
        os.makedirs(os.path.join(t, "repo"))

        def put(rel, text):
            with open(os.path.join(t, rel), "w") as f:
                f.write(text)

        put("repo/a.h", '#include "repo/b.h"\n')
        put("repo/b.h", '#include "repo/a.h"\n')
        put("repo/thing.c", '#include "repo/a.h"\n/* sprintf( in a comment is fine */\n'
            'int\nthing_ok(void)\n{\n\tchar b[8];\n\tstrcpy(b, "x");\n\treturn 0;\n}\n'
            'int\nother_name(void)\n{\n\treturn atoi("1");\n}\n'
            'static int\nhidden(void)\n{\n\treturn 0;\n}\n' + "\n" * 600)
        out = subprocess.run([sys.executable, os.path.abspath(__file__), t],
                             capture_output=True, text=True).stdout
    want = ["strcpy() is banned", "atoi() is banned", "other_name is exported",
            "lines (over 600)", "include circle: repo/a.h"]
    missing = [w for w in want if w not in out]
    bad = [w for w in ("thing_ok", "hidden", "sprintf") if w in out]
    if missing or bad:
        print("lint self-test: missed %s, wrongly found %s\n%s" % (missing, bad, out))
        return 1
    print("lint self-test: every kind of finding seen")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    sys.exit(main())
