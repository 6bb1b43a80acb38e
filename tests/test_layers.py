"""The import arrows of `appliance/` against the `allowed-imports` block of docs/ARCHITECTURE.md.

Walks every module's syntax tree (module-level, function-level and TYPE_CHECKING imports alike)
and fails, naming the module, the line and the import, on an arrow the document does not allow,
so the document and the code cannot drift apart. Reads files only: no hub, no adb, no phone.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "appliance"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
BLOCK = re.compile(r"^```allowed-imports\n(.*?)^```", re.MULTILINE | re.DOTALL)


def allowed_arrows(text: str) -> dict[str, frozenset[str]]:
    """{layer: the layers it may import} from the document's one `allowed-imports` block:
    lines `layer -> a, b, c` (`-> nothing` for none); `#` starts a comment."""
    blocks = BLOCK.findall(text)
    assert len(blocks) == 1, ("docs/ARCHITECTURE.md must hold exactly one ```allowed-imports "
                              f"block; found {len(blocks)}")
    rules: dict[str, frozenset[str]] = {}
    for number, raw in enumerate(blocks[0].splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        layer, arrow, targets = line.partition("->")
        assert arrow, f"allowed-imports line {number} {raw!r}: write `layer -> layers`"
        names = {name.strip() for name in targets.split(",") if name.strip()} - {"nothing"}
        assert layer.strip() not in rules, f"allowed-imports: {layer.strip()!r} has two lines"
        rules[layer.strip()] = frozenset(names)
    return rules


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str:
    """`appliance.api.tasks` -> api, `appliance.config` -> config, `appliance` -> appliance
    (the package root, which holds `__version__`)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def is_module(module: str) -> bool:
    relative = Path(*module.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").is_file() or (PACKAGE / relative).is_dir()


@dataclass(frozen=True)
class Arrow:
    path: str
    line: int
    module: str
    imported: str


@cache   # each file is parsed once per run, not once per test that reads it
def product_imports(path: Path) -> tuple[Arrow, ...]:
    """Every import of a product module in `path`, resolved to its full module name."""
    module = module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from appliance import metrics` imports a module; `from appliance import
            # __version__` the package root.
            names = [f"{source}.{alias.name}" if is_module(f"{source}.{alias.name}") else source
                     for alias in node.names]
        for name in names:
            if name == "appliance" or name.startswith("appliance."):
                found.append(Arrow(str(path.relative_to(ROOT)), node.lineno, module, name))
    return tuple(dict.fromkeys(found))   # `from x import a, b` is one arrow


def layers_on_disk() -> set[str]:
    layers = {p.stem for p in PACKAGE.glob("*.py")} | {"appliance"}
    layers.discard("__init__")
    return layers | {p.name for p in PACKAGE.iterdir() if p.is_dir() and any(p.rglob("*.py"))}


RULES = allowed_arrows(ARCHITECTURE.read_text(encoding="utf-8"))


def test_every_layer_has_a_rule() -> None:
    missing = sorted(layers_on_disk() - set(RULES))
    assert not missing, (f"appliance/ has {', '.join(missing)} but docs/ARCHITECTURE.md's "
                         "allowed-imports block has no line for it: add `<layer> -> <layers>`")
    unknown = sorted({t for targets in RULES.values() for t in targets} - set(RULES))
    assert not unknown, f"allowed-imports names layers without a line of their own: {unknown}"


def test_the_document_knows_the_walk_sees_the_code() -> None:
    # The walk must find the arrows the document is about, or every later check is vacuous.
    arrows = {(layer_of(a.module), layer_of(a.imported))
              for path in PACKAGE.rglob("*.py") for a in product_imports(path)}
    assert ("services", "engine") in arrows and ("engine", "scripts") in arrows


@pytest.mark.parametrize("layer", sorted(layers_on_disk()))
def test_imports_follow_the_allowed_arrows(layer: str) -> None:
    root = PACKAGE / layer
    files = sorted(root.rglob("*.py")) if root.is_dir() else (
        [PACKAGE / "__init__.py"] if layer == "appliance" else [PACKAGE / f"{layer}.py"])
    allowed = RULES.get(layer, frozenset())
    wrong = [a for path in files for a in product_imports(path)
             if layer_of(a.imported) != layer and layer_of(a.imported) not in allowed]
    assert not wrong, (
        f"{layer} may import only {', '.join(sorted(allowed)) or 'nothing of the product'} "
        "(docs/ARCHITECTURE.md, allowed-imports); these imports break that:\n"
        + "\n".join(f"  {a.path}:{a.line} ({a.module}) imports {a.imported}" for a in wrong))
