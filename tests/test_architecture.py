"""The layering the docs promise, read from the source: the CLI and the reports reach the maths
(risk, sim, optimize, forecast, inventory) only through critmat.services; nothing reads the
environment outside critmat.settings; the error hierarchy is one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "critmat"
MATHS = {"risk", "sim", "optimize", "forecast", "inventory"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every ``critmat...`` module imported anywhere in the file (also inside functions)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return [(n, m) for n, m in out if m == "critmat" or m.startswith("critmat.")]


#: the database plumbing the HTTP layer shares with the inventory (engine, migrations, metadata)
SHARED_INFRA = {"critmat.database", "critmat.inventory.models"}


@pytest.mark.parametrize("layer", ["cli", "report", "api", "web"])
def test_cli_reports_and_http_reach_the_maths_only_through_services(layer: str) -> None:
    bad = []
    for path in sorted((SRC / layer).rglob("*.py")):
        for line, mod in _imports(path):
            parts = mod.split(".")
            allowed = layer in ("api", "web") and mod in SHARED_INFRA
            if len(parts) > 1 and parts[1] in MATHS and not allowed:
                bad.append(f"{path.relative_to(SRC)}:{line} imports {mod}")
    assert not bad, "\n".join(bad)


def test_the_check_sees_a_forbidden_edge(tmp_path: Path) -> None:
    f = tmp_path / "x.py"
    f.write_text("def f():\n    from critmat.sim.run import simulate\n")
    assert _imports(f) == [(2, "critmat.sim.run")]


def test_only_settings_reads_the_environment() -> None:
    readers = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "os.environ" in p.read_text() or "getenv(" in p.read_text()
    ]
    assert readers == ["settings.py"], readers


def test_every_user_error_is_a_critmat_error() -> None:
    from critmat.data.dataset import InputError, UnknownChoiceError
    from critmat.data.loader import DatasetError
    from critmat.data.units import UnitError
    from critmat.errors import CritmatError, InfeasibleRequestError
    from critmat.inventory.checks import InventoryError
    from critmat.optimize.problem import InfeasibleError

    for cls in (InputError, UnknownChoiceError, DatasetError, UnitError, InventoryError):
        assert issubclass(cls, CritmatError), cls
    assert issubclass(InfeasibleError, InfeasibleRequestError)


def test_a_holder_is_resolved_once_into_a_value() -> None:
    """critmat.data.dataset.Dataset.holder is the one resolution: code or name, any case, to a
    Holder with its members; the other functions take its code."""
    from critmat.data.dataset import Holder, UnknownChoiceError, load

    ds = load()
    eu = ds.holder("European Union (27 member states)")
    assert isinstance(eu, Holder) and eu.code == "EU27" and str(eu) == "EU27"
    assert len(eu.members) == 27 and "DEU" in eu.members
    assert ds.holder("eu27") == eu and ds.holder(eu) is eu
    assert ds.holder("USA").members == frozenset({"USA"})
    assert ds.resolve_holder("european union (27 member states)") == "EU27"
    with pytest.raises(UnknownChoiceError, match="holder"):
        ds.holder("Atlantis")


def test_reports_render_pages_and_import_no_service() -> None:
    """report/ sits below services/: it renders the page models of critmat.usecases.pages;
    a service imports the report writer, never the other way (no circle)."""
    bad = [
        f"{path.relative_to(SRC)}:{line} imports {mod}"
        for path in sorted((SRC / "report").rglob("*.py"))
        for line, mod in _imports(path)
        if mod.startswith("critmat.services")
    ]
    assert not bad, "\n".join(bad)


def test_the_use_case_contracts_import_no_maths_and_no_face() -> None:
    bad = [
        f"{path.relative_to(SRC)}:{line} imports {mod}"
        for path in sorted((SRC / "usecases").rglob("*.py"))
        for line, mod in _imports(path)
        if mod.split(".")[1] in MATHS | {"services", "cli", "api", "web"}
    ]
    assert not bad, "\n".join(bad)


#: the one place a face starts another: ``critmat serve`` / ``critmat users`` bootstrap the API
#: (api.bootstrap, api.launcher); the API mounts the dashboard (web.pages)
FACE_EDGES = {("cli", "api"), ("api", "web")}


def test_faces_stay_apart_and_services_know_no_face() -> None:
    faces = {"cli", "api", "web"}
    bad = []
    for layer in (*faces, "services", "report"):
        for path in sorted((SRC / layer).rglob("*.py")):
            for line, mod in _imports(path):
                parts = mod.split(".")
                other = parts[1] if len(parts) > 1 else ""
                if other in faces and other != layer and (layer, other) not in FACE_EDGES:
                    bad.append(f"{path.relative_to(SRC)}:{line} imports {mod}")
    assert not bad, "\n".join(bad)
    serve = [m for p in (SRC / "cli").glob("*.py") for _, m in _imports(p) if ".api" in m]
    assert {m.rsplit(".", 1)[1] for m in serve} <= {"bootstrap", "launcher"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, module, inside a function) of every ``critmat`` import that runs (those under
    ``if TYPE_CHECKING:`` do not); ``from critmat.x import y`` counts ``critmat.x.y`` when y is a
    module."""
    out: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                names = [child.module] + [f"{child.module}.{a.name}" for a in child.names]
                out.extend((child.lineno, n, inside) for n in names)
            elif isinstance(child, ast.Import):
                out.extend((child.lineno, a.name, inside) for a in child.names)
            else:
                fn = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                visit(child, inside or fn)

    visit(ast.parse(path.read_text()), False)
    return [(n, m, i) for n, m, i in out if m.startswith("critmat")]


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}
    return {
        name: {m for _, m, _ in _runtime_imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
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
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def test_the_import_graph_has_no_cycle_counting_imports_inside_functions() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_check_sees_a_hidden_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_imports_sit_at_module_top_outside_the_lazy_command_line() -> None:
    """The CLI's command modules import what a command needs when it runs (``critmat --help``
    stays fast, benchmarks/bench_cli_help.py); a package's ``__getattr__`` may load lazily;
    everything else imports at module top, so the graph a reader sees is the one that runs."""
    bad = [
        f"{path.relative_to(SRC)}:{line} imports {mod} inside a function"
        for path in sorted(SRC.rglob("*.py"))
        if path.relative_to(SRC).parts[0] != "cli" and path.name != "__init__.py"
        for line, mod, inside in _runtime_imports(path)
        if inside
    ]
    assert not bad, "\n".join(bad)


def test_the_data_layer_knows_no_one() -> None:
    """critmat.data sits at the bottom: it imports only itself and the shared low modules."""
    low = {"critmat.errors", "critmat.settings", "critmat.streams"}
    bad = [
        f"{path.relative_to(SRC)}:{line} imports {mod}"
        for path in sorted((SRC / "data").rglob("*.py"))
        for line, mod, _ in _runtime_imports(path)
        if not mod.startswith("critmat.data")
        and mod.rsplit(".", 1)[0] not in low
        and mod not in low
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("layer", sorted(MATHS))
def test_the_maths_import_no_service_no_report_and_no_face(layer: str) -> None:
    """No upward arrow: risk, sim, optimize, forecast and inventory take values and return
    tables; the services call them, the reports draw what the services computed."""
    above = {"services", "report", "cli", "api", "web"}
    bad = [
        f"{path.relative_to(SRC)}:{line} imports {mod}"
        for path in sorted((SRC / layer).rglob("*.py"))
        for line, mod, _ in _runtime_imports(path)
        if len(mod.split(".")) > 1 and mod.split(".")[1] in above
    ]
    assert not bad, "\n".join(bad)


#: the one function allowed past 80 lines: the compiled monthly loop of the simulator, kept
#: whole so that Numba holds a (run, material) cell's state in registers across the months;
#: its stages are functions already (critmat.sim.kernel: supply, price, demand, release,
#: unmet, price loss), and benchmarks/bench_sim.py measures it
LONG_FUNCTIONS = {"sim/kernel.py:_kernel"}


def test_no_function_over_80_lines_and_no_module_over_600() -> None:
    long_functions, long_modules = [], []
    for path in sorted(SRC.rglob("*.py")):
        rel = str(path.relative_to(SRC))
        text = path.read_text()
        if len(text.splitlines()) > 600:
            long_modules.append(f"{rel}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > 80 and f"{rel}:{node.name}" not in LONG_FUNCTIONS:
                    long_functions.append(f"{rel}:{node.name} {n} lines")
    assert not long_modules, long_modules
    assert not long_functions, long_functions
