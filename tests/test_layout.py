"""The code's shape, checked: one layout for every service, no module past 450 lines, no import cycle, no
database query in a router module, and `propdesk up` needing nothing from the test tools."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "libs/common/src/propdesk/common", *sorted((ROOT / "services").glob("*/src/propdesk/*"))]
SERVICES = sorted(
    p
    for p in (ROOT / "services").glob("*/src/propdesk/*")
    if (p / "main.py").exists() and "ServiceDefinition(" in (p / "main.py").read_text()
)
# processes that own no data and serve screens (the console) have a shape of their own
FRONTENDS = sorted(
    p
    for p in (ROOT / "services").glob("*/src/propdesk/*")
    if (p / "main.py").exists() and "FrontendDefinition(" in (p / "main.py").read_text()
)
FRONTEND_LAYOUT = ("config", "clients", "session", "web", "pages", "templates", "static")
# every service has these (a module, or a package of the same name when it grew past one file)
LAYOUT = (
    "main",
    "config",
    "models",
    "schemas",
    "errors",
    "api",
    "api/deps",
    "service",
    "subscribers",
    "timers",
)
LIMIT = 450


def modules(root: Path) -> dict[str, Path]:
    """dotted name -> file, migrations left out (they are generated, one per schema change)."""
    found = {}
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(root.parents[1]).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


ALL = {name: path for root in SOURCES for name, path in modules(root).items()}


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_every_service_has_the_same_shape(service: Path):
    missing = [
        name
        for name in LAYOUT
        if not (service / f"{name}.py").exists() and not (service / name / "__init__.py").exists()
    ]
    assert not missing, f"{service.name} lacks {missing}"


@pytest.mark.parametrize("frontend", FRONTENDS, ids=lambda p: p.name)
def test_every_frontend_has_its_shape_and_no_database(frontend: Path):
    missing = [
        n for n in FRONTEND_LAYOUT if not (frontend / f"{n}.py").exists() and not (frontend / n).is_dir()
    ]
    assert not missing, f"{frontend.name} lacks {missing}"
    for path in frontend.rglob("*.py"):  # it calls the services' APIs; it never opens a database
        text = path.read_text()
        assert "sqlalchemy" not in text and "asyncpg" not in text, path


def test_no_module_is_over_the_limit():
    long = {name: n for name, path in ALL.items() if (n := len(path.read_text().splitlines())) > LIMIT}
    assert not long, f"split these by sub-domain: {long}"


def _imports(name: str, path: Path) -> set[str]:
    """The propdesk modules a module imports (at any depth: a function-level import is an import too)."""
    out = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base])
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in out if m in ALL and m != name}


def test_no_import_cycle():
    graph = {name: _imports(name, path) for name, path in ALL.items()}
    # a package's __init__ that only re-exports its submodules is not a cycle with them
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


QUERIES = ("execute", "scalar", "scalars", "get", "add", "add_all", "delete", "flush", "merge", "refresh")


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_no_database_query_in_a_router(service: Path):
    """Routers parse, authorize, call the service and return: they never touch the session themselves."""
    found = []
    api = service / "api"
    for path in sorted(api.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "session"
                and node.func.attr in QUERIES
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} session.{node.func.attr}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("select", "paginate")
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.id}(...)")
    assert not found, "\n".join(found)


def test_propdesk_up_reaches_no_test_code():
    """Nothing the CLI or a service imports, at any depth, is the test plugin or its helpers."""
    graph = {name: _imports(name, path) for name, path in ALL.items()}
    roots = ["propdesk.common.cli", *(f"propdesk.{s.name}.main" for s in SERVICES)]
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += graph.get(name, ())
    assert not [m for m in seen if m.startswith("propdesk.common.testing")]


def test_propdesk_up_needs_no_test_tools():
    """The CLI and every service import without pytest, testcontainers or hypothesis installed."""
    blocked = "import sys\nfor name in ('pytest', 'testcontainers', 'hypothesis', '_pytest'):\n    sys.modules[name] = None\n"
    program = blocked + (
        "import propdesk.common.cli as cli\n"
        "for d in cli.definitions():\n"
        "    __import__(d.package + '.main')\n"
        "print('ok', len(cli.definitions()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env={**os.environ}, timeout=120
    )
    assert result.returncode == 0 and result.stdout.startswith("ok"), result.stderr[-2000:]


ERROR_BASES = {
    "DomainError",
    "NotFound",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "IllegalTransition",
    "Unauthorized",
}


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_every_error_of_a_service_is_in_its_errors_module(service: Path):
    stray = []
    for path in sorted(service.rglob("*.py")):
        if path.name == "errors.py" or "migrations" in path.parts:
            continue
        for node in ast.parse(path.read_text()).body:
            bases = {b.id for b in getattr(node, "bases", []) if isinstance(b, ast.Name)}
            if isinstance(node, ast.ClassDef) and bases & ERROR_BASES:
                stray.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert not stray, stray


def _routes():
    """Every API route of every service, with the platform's own (health, admin)."""
    from fastapi.routing import APIRoute

    from propdesk.common.admin import admin_router
    from propdesk.common.services import definitions

    for d in definitions():
        for router in [*d.routers(), admin_router()]:
            for route in router.routes:
                if isinstance(route, APIRoute):
                    yield d.name, route


# RFC 6749 and RFC 7009 take application/x-www-form-urlencoded: the token route checks each field itself
# (inputs.bad_text); the revocation route only hashes what it gets
FORM_BODIES = {("identity", "/v1/token"), ("identity", "/v1/revoke")}


def test_every_request_body_is_checked_for_control_characters():
    """Every JSON body a route takes is a model deriving from inputs.Input (its text is checked)."""
    from propdesk.common.inputs import Input

    unchecked, bodies = [], 0
    for name, route in _routes():
        if route.body_field is None:
            continue
        bodies += 1
        model = route.body_field.field_info.annotation
        if isinstance(model, type) and issubclass(model, bytes | str):
            continue  # a raw body (a statement file): its parser checks it
        if (name, route.path) in FORM_BODIES:
            continue
        if not (isinstance(model, type) and issubclass(model, Input)):
            unchecked.append(f"{name} {route.methods} {route.path}: {model}")
    assert bodies > 50, bodies  # the walk found the routes (FastAPI's nesting changed once)
    assert not unchecked, "\n".join(unchecked)
