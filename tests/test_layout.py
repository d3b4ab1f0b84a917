"""The packages of `admin_app` import one way, as the README's layout says:
`model` <- `listing` <- `writing` <- `importing`, `auth` <- `site`, and none
of them imports the assembly (`app`, `cli`). Read from the source, function
level imports included, so a cycle cannot hide in a late import."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "admin_app"
LAYERS = ["model", "listing", "writing", "importing", "auth", "site"]
ASSEMBLY = {"app", "cli", "__main__"}


def _imported(path: Path) -> set[str]:
    """The parts of `admin_app` one module imports: `admin_app.writing.audit`
    gives `writing`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "admin_app" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_each_package_imports_only_the_packages_below_it():
    crossing = []
    for rank, package in enumerate(LAYERS):
        allowed = set(LAYERS[: rank + 1])
        modules = sorted((ROOT / package).rglob("*.py"))
        assert modules, package
        for module in modules:
            for part in _imported(module):
                if part in ASSEMBLY or (part in LAYERS and part not in allowed):
                    crossing.append(f"{module.relative_to(ROOT)} imports {part}")
    assert crossing == []


def test_every_package_of_the_admin_has_its_layer():
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(LAYERS)
