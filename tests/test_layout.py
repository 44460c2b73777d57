"""The layout holds (README "Layout"): read from the code with `ast`, each finding named by file and line.

- The core (`yuqing/` outside `yuqing/app/`) imports no stage package and not the shell.
- Stages import downwards only: crawlers -> pipelines -> nlp, dashboards -> alerts, everything ->
  the core; never the shell at run time (a type annotation of the root config, under
  TYPE_CHECKING, is allowed). bench/ is a harness like the shell and may import anything.
- No two modules import each other, directly or round a cycle (imports inside functions count:
  a late import is how a cycle hides).
- Nothing in `yuqing/` loads a module by name.
- Only yuqing/store.py and yuqing/es_client.py (and the bench, which measures the raw client)
  import elasticsearch.
- No module over 400 lines, no function over 80, unless a `# long:` comment says why.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("yuqing", "crawlers", "pipelines", "nlp", "alerts", "dashboards", "bench")
# stage -> the stages it may import (besides the core)
# dashboards → nlp: the effect report's negative shares carry Wilson intervals (nlp/stats.py).
ALLOWED = {"crawlers": {"pipelines", "nlp"}, "pipelines": {"nlp"}, "nlp": set(), "alerts": set(),
           "dashboards": {"alerts", "nlp"}}
ES_CLIENT = {"yuqing/store.py", "yuqing/es_client.py"}


def modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            parts = f.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


MODULES = modules()


def resolve(name: str) -> str | None:
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        if ".".join(parts[:i]) in MODULES:
            return ".".join(parts[:i])
    return None


def type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, child.end_lineno + 1))
    return lines


def imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, imported project module or raw top-level name, only for type checking) for every import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = type_checking_lines(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{a.name}" for a in node.names] or [node.module]
        else:
            continue
        for n in names:
            out.append((node.lineno, resolve(n) or n, node.lineno in typing_only))
    return out


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def package(module: str) -> str:
    return "app" if module.startswith("yuqing.app") else module.split(".")[0]


def test_core_imports_no_stage_and_no_shell():
    bad = [f"{rel(f)}:{line} imports {target}" for m, f in MODULES.items() if package(m) == "yuqing"
           for line, target, _ in imports(f) if package(target) in ALLOWED or package(target) in ("app", "bench")]
    assert not bad, "the core must not import stages or the shell:\n" + "\n".join(bad)


def test_stages_import_downwards_only():
    bad = []
    for m, f in MODULES.items():
        pkg = package(m)
        if pkg not in ALLOWED:
            continue
        for line, target, typing_only in imports(f):
            tp = package(target)
            if tp == "app" and not typing_only or tp in ALLOWED and tp != pkg and tp not in ALLOWED[pkg] \
                    or tp == "bench":
                bad.append(f"{rel(f)}:{line} imports {target}")
    assert not bad, "a stage reaches sideways or up (wire it in yuqing/app instead):\n" + "\n".join(bad)


def test_no_import_cycles():
    graph = {m: {t for _, t, typing_only in imports(f) if t in MODULES and t != m and not typing_only}
             for m, f in MODULES.items()}
    cycles, index, low, stack, on, counter = [], {}, {}, [], set(), [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(comp)

    for v in graph:
        if v not in index:
            visit(v)
    where = [" <-> ".join(f"{rel(MODULES[m])}" for m in sorted(c)) for c in cycles]
    assert not cycles, "modules that import each other:\n" + "\n".join(where)


def test_nothing_in_yuqing_loads_modules_by_name():
    bad = []
    for m, f in MODULES.items():
        if package(m) not in ("yuqing", "app"):
            continue
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = ast.unparse(node.func) if isinstance(node, ast.Call) else ""
            if name.endswith(("import_module", "__import__")) or name.startswith("importlib."):
                bad.append(f"{rel(f)}:{node.lineno} calls {name}")
        bad += [f"{rel(f)}:{line} imports importlib" for line, t, _ in imports(f) if t.startswith("importlib")]
    assert not bad, "modules are imported plainly in yuqing/:\n" + "\n".join(bad)


def test_only_the_store_talks_to_elasticsearch():
    bad = [f"{rel(f)}:{line} imports {t}" for m, f in MODULES.items() if rel(f) not in ES_CLIENT
           and package(m) != "bench" for line, t, _ in imports(f) if t.split(".")[0] == "elasticsearch"]
    assert not bad, "only the store translates Elasticsearch's exceptions:\n" + "\n".join(bad)


def test_sizes():
    bad = []
    for f in sorted(ROOT.glob("*/**/*.py")):
        if f.parts[len(ROOT.parts)] not in (*PACKAGES, "tests"):
            continue
        src = f.read_text(encoding="utf-8")
        lines = src.splitlines()
        if len(lines) > 400 and "# long:" not in src:
            bad.append(f"{rel(f)}: {len(lines)} lines")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 80:
                body = "\n".join(lines[node.lineno - 1:node.end_lineno])
                if "# long:" not in body:
                    bad.append(f"{rel(f)}:{node.lineno} {node.name}() is {node.end_lineno - node.lineno + 1} lines")
    assert not bad, "too long without a `# long:` comment saying why:\n" + "\n".join(bad)


def test_the_checks_see_a_violation(tmp_path):
    """The checks above can fail: they find a planted core->stage import and a planted cycle."""
    planted = ast.parse("from crawlers.run import run_here\nif TYPE_CHECKING:\n    from yuqing.app.config import Config\n")
    found = [ast.unparse(n) for n in ast.walk(planted) if isinstance(n, ast.ImportFrom)]
    assert resolve("crawlers.run.run_here") == "crawlers.run" and package("yuqing.app.config") == "app"
    assert type_checking_lines(planted) == {3}
    assert len(found) == 2
