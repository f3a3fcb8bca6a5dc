"""Package layout: the library never imports a UI, and its modules form no import cycle."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ra_models", "explain")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module imported anywhere in the file (top level and inside functions)."""
    mod = _module_name(path)
    pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            out |= {f"{target}.{a.name}" for a in node.names}  # "from . import x" imports x
    return out


def _graph() -> dict[str, set[str]]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    names = {_module_name(p) for p in files}
    graph = {}
    for p in files:
        # a package's __init__ re-exports are not dependencies of its sub-modules
        graph[_module_name(p)] = {m for m in _imports(p) if m in names and m != _module_name(p)}
    return graph


def test_library_never_imports_a_ui():
    for pkg in PACKAGES:
        for p in (ROOT / pkg).rglob("*.py"):
            bad = {m.split(".")[0] for m in _imports(p)} & {"streamlit", "flask", "ui_common", "web"}
            assert not bad, f"{p.relative_to(ROOT)} imports {bad}"


def test_no_import_cycles_between_library_modules():
    graph = _graph()
    # __init__ modules that only re-export are left out of the cycle check: importing
    # ra_models.x always runs ra_models/__init__ first, which is not a dependency of x.
    inits = {_module_name(p) for pkg in PACKAGES for p in (ROOT / pkg).rglob("__init__.py")}
    g = {m: {d for d in deps if d not in inits} for m, deps in graph.items() if m not in inits}
    seen, stack, cycles = set(), [], []

    def visit(m):
        if m in stack:
            cycles.append(stack[stack.index(m):] + [m])
            return
        if m in seen:
            return
        seen.add(m)
        stack.append(m)
        for d in sorted(g.get(m, ())):
            visit(d)
        stack.pop()

    for m in sorted(g):
        visit(m)
    assert not cycles, "import cycles: " + "; ".join(" → ".join(c) for c in cycles)


def test_xray_side_has_the_clinical_side_shape():
    for name in ("model", "data", "train", "evaluate"):
        assert (ROOT / "ra_models" / "xray" / f"{name}.py").is_file()
    assert not list((ROOT / "ra_models").glob("xray_*.py"))


def test_generator_2_modules_are_each_readable_in_one_sitting():
    """Issue 12 §1: anatomy, lesions, film/acquisition (and the cases) each < 400 lines."""
    root = Path(__file__).resolve().parents[1] / "ra_models" / "synthetic"
    for name in ("anatomy", "carpus", "lesions", "film", "cases", "svh", "sheets", "generator"):
        n = len((root / f"{name}.py").read_text().splitlines())
        assert n < 400, (name, n)
