#!/usr/bin/python3
"""Every `#include "microheal/<module>/..."` against the module graph declared in CMake.

Usage: python3 include_graph.py SOURCE_DIR

The graph is read from each src/<module>/CMakeLists.txt: the `microheal::<dep>` names in the
target_link_libraries of the module's target (`microheal_<module>`; the `microheal` executable for
app), with their visibility. The rule is CMake's own usage requirements, enforced on includes:

- a source file of module m (src/m/...) may include m and every module it links, with the
  PUBLIC dependencies of those, transitively;
- a public header of m (include/microheal/m/...) may include only m and its PUBLIC dependencies
  (transitively): whoever includes the header gets only those;
- the graph has no cycle.

The checker is also run on a copy of the tree with one include that breaks the layering (the
solver including the model: the solver knows nothing of biology) and must find exactly that one,
so this test cannot pass by finding nothing.
"""

import re
import shutil
import sys
import tempfile
from pathlib import Path

INCLUDE = re.compile(r'^\s*#\s*include\s+"microheal/([a-z_]+)/', re.M)
LINK = re.compile(r"target_link_libraries\(\s*(\S+)(.*?)\)", re.S)


def module_graph(root):
    """{module: {"public": set, "private": set}} from the CMake files."""
    graph = {}
    for cmake in sorted((root / "src").glob("*/CMakeLists.txt")):
        module = cmake.parent.name
        target = "microheal" if module == "app" else f"microheal_{module}"
        deps = {"public": set(), "private": set()}
        text = re.sub(r"#.*", "", cmake.read_text())
        for match in LINK.finditer(text):
            if match.group(1) != target:
                continue
            visibility = "private" if module == "app" else "public"
            for token in match.group(2).split():
                if token in ("PUBLIC", "INTERFACE"):
                    visibility = "public"
                elif token == "PRIVATE":
                    visibility = "private"
                elif token.startswith("microheal::"):
                    deps[visibility].add(token.split("::", 1)[1])
        graph[module] = deps
    return graph


def public_closure(graph, modules):
    seen, todo = set(), list(modules)
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo.extend(graph.get(m, {}).get("public", ()))
    return seen


def cycles(graph):
    found, state = [], {}

    def visit(m, path):
        state[m] = "open"
        for d in sorted(graph[m]["public"] | graph[m]["private"]):
            if d not in graph:
                continue
            if state.get(d) == "open":
                found.append(" -> ".join(path + [m, d]))
            elif d not in state:
                visit(d, path + [m])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [])
    return found


def violations(root):
    graph = module_graph(root)
    problems = [f"cycle in the module graph: {c}" for c in cycles(graph)]
    for module, deps in sorted(graph.items()):
        for_sources = {module} | public_closure(graph, deps["public"] | deps["private"])
        for_headers = {module} | public_closure(graph, deps["public"])
        files = [(p, for_sources) for p in (root / "src" / module).rglob("*")
                 if p.suffix in (".cpp", ".hpp", ".in")]
        files += [(p, for_headers) for p in (root / "include" / "microheal" / module).rglob("*")
                  if p.suffix in (".hpp", ".in")]
        for path, allowed in files:
            for included in INCLUDE.findall(path.read_text(errors="replace")):
                if included not in allowed:
                    kind = "header" if path.is_relative_to(root / "include") else "source"
                    problems.append(f"{path.relative_to(root)} ({kind} of {module}) includes "
                                    f"microheal/{included}/..., which {module} does not declare "
                                    f"(may include: {', '.join(sorted(allowed))})")
    return graph, problems


def main():
    root = Path(sys.argv[1]).resolve()
    failures = 0
    graph, problems = violations(root)
    expected = {"core", "grid", "geometry", "io", "model", "perf", "scenario", "simulation",
                "solver", "sweep", "app"}
    ok = expected <= set(graph) and all(graph[m]["public"] | graph[m]["private"]
                                        for m in expected - {"core"})
    print(("ok: " if ok else "FAIL: ") + f"module graph read from CMake: {len(graph)} modules, "
          + "; ".join(f"{m} -> {','.join(sorted(d['public'] | d['private']))}"
                      for m, d in sorted(graph.items())))
    failures += 0 if ok else 1
    for p in problems:
        print(f"FAIL: {p}")
    print(("ok: " if not problems else "FAIL: ")
          + f"every microheal include follows the declared graph ({len(problems)} violation(s))")
    failures += 1 if problems else 0

    # The checker must catch a real violation.
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "tree"
        shutil.copytree(root / "src", copy / "src")
        shutil.copytree(root / "include", copy / "include")
        bad = copy / "src" / "solver" / "integrator.cpp"
        bad.write_text('#include "microheal/model/species.hpp"\n' + bad.read_text())
        _, planted = violations(copy)
        caught = len(planted) == 1 + len(problems) and any("solver/integrator.cpp" in p
                                                            for p in planted)
        print(("ok: " if caught else "FAIL: ")
              + "a planted include of the model in the solver is caught")
        failures += 0 if caught else 1
    if failures:
        print(f"{failures} include graph check(s) failed")
        sys.exit(1)
    print("include graph: all checks passed")


if __name__ == "__main__":
    main()
