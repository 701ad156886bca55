"""The import contract: imports flow one way, and a domain reaches another only through its API.

``supportline`` (the composition root) → ``console`` → the domains → ``core``. ``core`` imports
no domain; no domain imports ``console`` or ``supportline``; a domain imports from another
domain only the modules that domain names as public below: its shared types (``models``,
``dependencies``, ``exceptions``) and the one module that is its API. Every import counts, also
one inside a function.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = ("auth", "groups", "conference", "notifications", "helpline")
UPPER = ("console", "supportline")
TYPES = ("models", "dependencies", "exceptions")
# The one API module of each domain, besides its types.
API: dict[str, tuple[str, ...]] = {
    "auth": (),
    "groups": ("members", "schedule"),
    "conference": ("controls",),
    "notifications": ("notices",),
    "helpline": (),
}
PUBLIC = {
    domain: {f"{domain}.{name}" for name in (*TYPES, *API[domain])} | {domain} for domain in DOMAINS
}


def imports(package: str) -> Iterator[tuple[str, int, str]]:
    """(file, line, imported module) for every import in ``package``, at any depth."""
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield where, node.lineno, alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from groups import members` imports the module groups.members
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    is_module = (ROOT / (candidate.replace(".", "/") + ".py")).exists()
                    yield where, node.lineno, candidate if is_module else node.module


def top(module: str) -> str:
    return module.split(".", maxsplit=1)[0]


def offending(packages: tuple[str, ...], wrong: Callable[[str, str, str], bool]) -> list[str]:
    """Every import in ``packages`` that ``wrong(package, file, module)`` refuses."""
    return [
        f"{where}:{line} imports {module}"
        for package in packages
        for where, line, module in imports(package)
        if wrong(package, where, module)
    ]


def test_core_imports_no_domain_and_nothing_above_it() -> None:
    assert offending(("core",), lambda _, __, module: top(module) in (*DOMAINS, *UPPER)) == []


def test_no_domain_imports_the_console_or_the_composition_root() -> None:
    assert offending(DOMAINS, lambda _, __, module: top(module) in UPPER) == []


def test_the_console_does_not_import_the_composition_root() -> None:
    assert offending(("console",), lambda _, __, module: top(module) == "supportline") == []


def through_api_only(domain: str, _where: str, module: str) -> bool:
    other = top(module)
    return other in DOMAINS and other != domain and module not in PUBLIC[other]


def test_a_domain_reaches_another_only_through_its_public_modules() -> None:
    assert offending(DOMAINS, through_api_only) == []


def test_the_contract_sees_real_imports() -> None:
    """Guards the walk itself: a known cross-domain import is found, so an empty list means
    the rules hold, not that nothing was read."""
    found = {
        (Path(where).parts[0], module) for domain in DOMAINS for where, _, module in imports(domain)
    }
    assert ("groups", "auth.models") in found
    assert any(top(module) == "core" for _, module in found)
