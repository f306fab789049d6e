"""The shape of the package's imports: no module imports itself back through others, and
no module reaches a private (underscore) name of another.

A package's ``__init__`` re-exporting its modules is not a cycle: imports of a module's own
ancestor packages are left out. A private module (``cli/_common.py``) is its package's own
and may be imported anywhere inside that package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

import watchkeeper

SOURCE = Path(watchkeeper.__file__).parent


def test_no_import_cycle_between_modules():
    graph = grimp.build_graph("watchkeeper", include_external_packages=False, cache_dir=None)
    imports = {
        module: {
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if not module.startswith(imported + ".")
        }
        for module in graph.modules
    }
    assert [sorted(cycle) for cycle in _cycles(imports)] == []


def test_the_longest_chain_of_imports_between_parts_is_at_most_nine():
    """Parts are the subpackages and top-level modules; a chain is a path of imports
    between them (``__main__ → cli → ui → datasets → checks → ...``)."""
    graph = grimp.build_graph("watchkeeper", include_external_packages=False, cache_dir=None)
    parts: dict[str, set[str]] = {}
    for module in graph.modules:
        part = _part(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if part and _part(imported) and _part(imported) != part:
                parts.setdefault(part, set()).add(_part(imported))
    assert _cycles(parts) == []
    chain = _longest_chain(parts)
    assert len(chain) <= 9, " → ".join(chain)


def _part(module: str) -> str | None:
    names = module.split(".")
    return names[1] if len(names) > 1 else None


def _longest_chain(edges: dict[str, set[str]]) -> list[str]:
    longest: dict[str, list[str]] = {}

    def from_part(part: str) -> list[str]:
        if part not in longest:
            below = [from_part(other) for other in sorted(edges.get(part, ()))]
            longest[part] = [part, *max(below, key=len, default=[])]
        return longest[part]

    return max((from_part(part) for part in edges), key=len, default=[])


def test_no_private_name_is_reached_across_modules():
    reached = [
        f"{path.relative_to(SOURCE.parent)}:{line}: {name}"
        for path in sorted(SOURCE.rglob("*.py"))
        for line, name in _private_names_from_elsewhere(path)
    ]
    assert reached == []


def test_the_checks_find_what_they_look_for(tmp_path):
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    assert _longest_chain({"a": {"b", "c"}, "b": {"c"}, "c": {"d"}}) == ["a", "b", "c", "d"]
    module = tmp_path / "watchkeeper" / "featurestore" / "group.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from watchkeeper.featurestore.store import _remove_tree\n"
        "from watchkeeper.cli._common import console\n"
        "class Group:\n"
        "    def __init__(self, store):\n"
        "        self._name = 'g'\n"
        "    def delete(self):\n"
        "        self.store._profile_batch(self._name)\n"
    )
    assert _private_names_from_elsewhere(module) == [
        (1, "watchkeeper.featurestore.store._remove_tree"),
        (2, "watchkeeper.cli._common"),
        (7, "._profile_batch"),
    ]


def _cycles(imports: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(imports.get(module, ())):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(component)

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return found


def _private_names_from_elsewhere(path: Path) -> list[tuple[int, str]]:
    """Private names ``path`` takes from other modules: imported by name, or read as an
    attribute (``store._remove``) that this module does not define itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.with_suffix("").parts[path.parts.index("watchkeeper") : -1])
    defined = _private_names_defined(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("watchkeeper"):
            module = node.module or ""
            parent, _, last = module.rpartition(".")
            if _is_private(last) and package != parent and not package.startswith(parent + "."):
                found.append((node.lineno, module))
            found += [
                (node.lineno, f"{module}.{alias.name}")
                for alias in node.names
                if _is_private(alias.name)
            ]
        elif (
            isinstance(node, ast.Attribute) and _is_private(node.attr) and node.attr not in defined
        ):
            found.append((node.lineno, f".{node.attr}"))
    return found


def _private_names_defined(tree: ast.Module) -> set[str]:
    """Private functions, classes, variables and attributes this module itself makes."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name)
    return {name for name in names if _is_private(name)}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")
