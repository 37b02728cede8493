"""The layers the folders show, as rules on the code itself (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "digest"
MODULES = sorted(PACKAGE.rglob("*.py"))
CORE_BANNED = ("pelican", "typer", "jinja2", "sqlite3", "multiprocessing", "subprocess")


def _imports(path: Path) -> list[str]:
    """Every module a file imports, anywhere in it (absolute names)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: imports within the package are absolute"
            found.append(node.module)
            found += [f"{node.module}.{a.name}" for a in node.names]
    return found


def _layer(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


@pytest.mark.parametrize("path", [p for p in MODULES if _layer(p) == "core"],
                         ids=lambda p: p.name)
def test_core_is_pure(path):
    for name in _imports(path):
        top = name.split(".")[0]
        assert top not in CORE_BANNED, f"{path.name} imports {name}"
        if top == "digest":
            assert name.startswith(("digest.core", "digest.errors")), \
                f"{path.name} imports {name}: core imports nothing of the rest of the package"


@pytest.mark.parametrize("path", [p for p in MODULES if _layer(p) == "incremental"],
                         ids=lambda p: p.name)
def test_the_build_memory_never_imports_the_build_or_the_plugin(path):
    for name in _imports(path):
        assert not name.startswith(("digest.build", "digest.plugin", "pelican")), \
            f"{path.name} imports {name}"


def test_only_the_build_memory_opens_the_store():
    for path in MODULES:
        if _layer(path) != "incremental":
            text = path.read_text(encoding="utf-8")
            assert "sqlite3.connect" not in text and "execute(" not in text, path


def test_content_and_importers_know_nothing_of_pelican_or_the_build():
    for path in MODULES:
        if _layer(path) in ("content", "importers"):
            for name in _imports(path):
                assert not name.startswith(("pelican", "digest.build", "digest.plugin",
                                            "digest.incremental")), f"{path} imports {name}"


def test_no_module_over_500_lines_no_function_over_60():
    for path in MODULES:
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") <= 500, f"{path} has {text.count(chr(10))} lines"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                assert length <= 60, f"{path}:{node.lineno}: {node.name} has {length} lines"


def test_every_module_says_what_it_is_for():
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path} has no docstring"
