"""Imports point one way: ingest ← index ← service ← ui/eval/bench; ui/ reaches ingest and index only through service/.

Every module's imports are read with `ast` (those inside functions too, since a lazy import is still a
dependency): ingest/ imports none of index, service, ui, eval, bench; index/ none of service, ui, eval, bench;
and in service/ only cli/main.py (the `rus` commands) and api/app.py (mounting the UI) may import ui, eval or bench.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "ingest": {"index", "service", "ui", "eval", "bench"},
    "index": {"service", "ui", "eval", "bench"},
    "service": {"ui", "eval", "bench"},
    "ui": {"ingest", "index"},  # the UI talks to service/ only (e.g. files read by service.library.uploads)
}
ALLOWED = {"service/cli/main.py", "service/api/app.py"}  # the entry points that put the layers together


def imported_packages(source: str, package: str) -> list[tuple[int, str]]:
    """(line, top-level package) of every import in `source`, a module of `package`, wherever it stands."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, package if node.level else (node.module or "").split(".")[0]))
    return found


def violations(path: Path, source: str | None = None) -> list[str]:
    """The imports in the module at `path` (relative to the repository) that point the wrong way."""
    package = path.parts[0]
    if path.as_posix() in ALLOWED:
        return []
    text = (REPO_ROOT / path).read_text(encoding="utf-8") if source is None else source
    forbidden = FORBIDDEN.get(package, set())
    found = imported_packages(text, package)
    return [f"{path.as_posix()}:{line} imports {name}" for line, name in found if name in forbidden]


def modules() -> list[Path]:
    return sorted(p.relative_to(REPO_ROOT) for layer in FORBIDDEN for p in (REPO_ROOT / layer).rglob("*.py"))


def test_the_check_sees_top_level_lazy_and_dotted_imports() -> None:
    source = (
        "import os\n"
        "from ingest.models import Chunk\n"
        "import service.settings\n"
        "def lazy():\n"
        "    from service.limits import Limits\n"
        "    import ui.app as app\n"
        "from . import sibling\n"
    )
    assert violations(Path("ingest/example.py"), source) == [
        "ingest/example.py:3 imports service",
        "ingest/example.py:5 imports service",
        "ingest/example.py:6 imports ui",
    ]
    assert violations(Path("index/example.py"), source) == [
        "index/example.py:3 imports service",
        "index/example.py:5 imports service",
        "index/example.py:6 imports ui",
    ]
    assert violations(Path("service/example.py"), source) == ["service/example.py:6 imports ui"]
    assert violations(Path("service/cli/main.py"), source) == []
    ui_source = "from index.library import KINDS\nfrom service import library\nimport ingest.formats\n"
    assert violations(Path("ui/example.py"), ui_source) == [
        "ui/example.py:1 imports index",
        "ui/example.py:3 imports ingest",
    ]


def test_every_layer_has_modules_to_check() -> None:
    found = {path.parts[0] for path in modules()}
    assert found == set(FORBIDDEN)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_imports_point_one_way(layer: str) -> None:
    wrong = [v for path in modules() if path.parts[0] == layer for v in violations(path)]
    assert wrong == [], f"{layer}/ may not import {sorted(FORBIDDEN[layer])}:\n" + "\n".join(wrong)


def test_one_module_outside_the_tests_uses_python_docx() -> None:
    users = sorted(
        path.as_posix()
        for package in ("ingest", "index", "service", "ui", "eval", "bench")
        for path in (p.relative_to(REPO_ROOT) for p in (REPO_ROOT / package).rglob("*.py"))
        if "docx" in {name for _, name in imported_packages((REPO_ROOT / path).read_text(), package)}
    )
    assert users == ["ingest/word.py"]


# Configuration at the bottom: the settings are read once where the program is put together and passed down.
# These are those composition points (each with why it may read the environment); nothing else in ingest/, index/
# or service/ calls get_settings() or reads os.environ.
READS_ENVIRONMENT = {
    "service/cli/main.py",  # the `rus` commands: build_parser reads the settings once, commands get args.settings
    "service/api/app.py",  # create_app() without settings (uvicorn --factory, the tests' default)
    "service/settings.py",  # defines get_settings
    "service/library/uploads.py",  # the upload-reading child's main reads the limits its parent put in its environment
    "service/api/admin.py",  # hands the rebuild child its environment plus the limits
    "service/cli/serve.py",  # `rus serve --workers N` hands its worker processes the index dir and OpenMP threads
    "index/e5fast/build.py",  # the install-time compiler script: $CC
}


def environment_reads(source: str) -> list[int]:
    """Lines of `source` that call get_settings() or touch os.environ / os.getenv."""
    nodes = list(ast.walk(ast.parse(source)))
    calls = [n.lineno for n in nodes if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "get_settings"]
    env = [
        n.lineno for n in nodes
        if isinstance(n, ast.Attribute) and getattr(n.value, "id", None) == "os"
        and n.attr in ("environ", "getenv", "environb")
    ]
    return sorted(calls + env)


def test_the_check_sees_environment_reads() -> None:
    source = "import os\nx = os.environ.get('A')\ny = os.getenv('B')\nz = get_settings().index_dir\nos.path.join()\n"
    assert environment_reads(source) == [2, 3, 4]


def test_only_the_composition_points_read_the_environment() -> None:
    wrong = [
        f"{path.as_posix()}:{line}"
        for path in modules()
        if path.parts[0] in ("ingest", "index", "service") and path.as_posix() not in READS_ENVIRONMENT
        for line in environment_reads((REPO_ROOT / path).read_text(encoding="utf-8"))
    ]
    assert wrong == [], "read the settings at a composition point and pass them down:\n" + "\n".join(wrong)


# Rooms small enough to read: no class longer than MAX_CLASS_LINES and no function longer than MAX_FUNCTION_LINES in
# the four layers (issue 22).
MAX_CLASS_LINES = 250
MAX_FUNCTION_LINES = 120


def oversized(source: str, where: str) -> list[str]:
    """The classes and functions of `source` longer than the limits, as "where:line name (n lines)"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            lines = node.end_lineno - node.lineno + 1
            if lines > limit:
                found.append(f"{where}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_the_size_check_sees_long_classes_and_functions() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    source = f"def long():\n{body}\n\ndef short():\n    return 1\n"
    assert oversized(source, "m.py") == [f"m.py:1 long ({MAX_FUNCTION_LINES + 1} lines)"]


def test_no_class_or_function_is_too_long_to_read() -> None:
    wrong = [found for path in modules() for found in oversized((REPO_ROOT / path).read_text(), path.as_posix())]
    assert wrong == [], f"split these (classes ≤ {MAX_CLASS_LINES}, functions ≤ {MAX_FUNCTION_LINES} lines):\n" + (
        "\n".join(wrong)
    )



def test_the_service_errors_module_is_free_of_web_frameworks() -> None:
    # the domain raises service.errors' exceptions from the API, the UI and the CLI alike; only service/api/ maps
    # them to HTTP responses (service/api/errors.py)
    source = (REPO_ROOT / "service" / "errors.py").read_text(encoding="utf-8")
    frameworks = {"fastapi", "starlette", "gradio", "uvicorn"}
    assert [name for _, name in imported_packages(source, "service") if name in frameworks] == []
