"""The layers of the README's architecture section, checked on the source's imports:
web and CLI -> actions -> services and models; analysis, reports and questionnaires
free of Flask and of the app."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "analysis", "reports", "questionnaires")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved, at any depth (also inside
    functions: a late import is still a dependency)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(path): imports_of(path)
           for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def is_web(name: str) -> bool:
    """The outer layer, which translates input and output: views, their forms, the
    error pages and the CLI."""
    last = name.rpartition(".")[2]
    return last in ("views", "forms") or last.endswith("_views") \
        or name.startswith("app.cli") or name == "app.errors"


def runs_actions(name: str) -> bool:
    """Who may call actions: the outer layer, actions themselves and the job queue's
    worker (which runs an action in the background as the CLI does in the foreground)."""
    return is_web(name) or is_action(name) or name == "app.jobs.work"


def is_action(name: str) -> bool:
    return name == "app.actions" or name.startswith("app.actions.")


def within(imported: str, prefix: str) -> bool:
    return imported == prefix or imported.startswith(prefix + ".")


def violations(rule) -> list[str]:
    return sorted(f"{module} imports {imported}" for module, imports in MODULES.items()
                  for imported in imports if rule(module, imported))


def test_the_source_is_read():
    assert "app.survey.views" in MODULES and "analysis.weighting" in MODULES
    assert "flask" in MODULES["app.survey.views"]


@pytest.mark.parametrize("package", ["analysis", "reports", "questionnaires"])
def test_analysis_reports_and_questionnaires_import_neither_flask_nor_the_app(package):
    assert violations(lambda module, imported: within(module, package) and (
        imported.split(".")[0].lower().startswith("flask") or within(imported, "app"))) == []


def test_services_and_actions_import_no_views_and_no_cli():
    assert violations(lambda module, imported: module.startswith("app.")
                      and not is_web(module) and is_web(imported)
                      and imported in MODULES) == []


def test_services_import_no_actions():
    assert violations(lambda module, imported: module.startswith("app.")
                      and not runs_actions(module) and is_action(imported)) == []


def test_the_back_office_imports_nothing_of_the_resident_pages():
    assert violations(lambda module, imported: within(module, "app.backoffice")
                      and within(imported, "app.survey.views")) == []


def test_extensions_know_no_feature_package():
    """app.extensions binds libraries to the app; the survey, back office and dashboard
    plug into it, not the other way round."""
    assert violations(lambda module, imported: module == "app.extensions" and any(
        within(imported, f"app.{feature}")
        for feature in ("survey", "backoffice", "dashboard", "auth", "actions"))) == []
