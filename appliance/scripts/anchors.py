"""The anchor vocabulary (`selectors/musically.json`) and the matcher of one data definition
against a dump: words per locale, regions as screen fractions, class and flags; resource ids are
hints that only score. Also the locale detector. Pure; any thread (the data is read once).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from appliance.scripts.hierarchy import Node, Screen

SELECTORS_DIR = Path(__file__).resolve().parent / "selectors"
LOCALES = ("en", "fr")
#: criteria that can decide a match; `hint_ids` never can, `system_id` only with `package`
SEMANTIC = ("text", "desc", "label", "class", "region", "rule", "package")
_TEXT_OPS = ("exact", "prefix", "contains", "literal", "literal_prefix", "regex", "empty")


@lru_cache(maxsize=4)
def load(app: str = "musically") -> dict:
    return json.loads((SELECTORS_DIR / f"{app}.json").read_text(encoding="utf-8"))


def _as_list(value: object) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def words(key: str | Iterable[str], locale: str | None = None, app: str = "musically") -> list[str]:
    """The strings of word key(s) in `locale`; every locale's when it is None (unknown)."""
    data = load(app)["locales"]
    keys = [key] if isinstance(key, str) else list(key)
    out: list[str] = []
    for loc in ([locale] if locale in data else list(data)):
        for k in keys:
            if k not in data[loc]:
                raise KeyError(f"no word {k!r} in locale {loc!r}")
            for word in _as_list(data[loc][k]):
                if word not in out:
                    out.append(word)
    return out


def region(name_or_box: str | list, app: str = "musically") -> list[float]:
    return list(load(app)["regions"][name_or_box]) if isinstance(name_or_box, str) else list(name_or_box)


def in_region(screen: Screen, node: Node, box: str | list) -> bool:
    x1, y1, x2, y2 = region(box)
    fx, fy = screen.fraction(node)
    return node.width > 0 and node.height > 0 and x1 <= fx <= x2 and y1 <= fy <= y2


_FOLD = str.maketrans({"\u200e": None, "\u200f": None, "\u00a0": " ", "\u202f": " ",
                       "\u2019": "'", "\u2018": "'", "\u2026": "..."})


def fold(value: str) -> str:
    """Text as compared: marks (U+200E) dropped, no-break spaces as spaces, typographic
    apostrophes and the ellipsis character as ASCII (real builds write `Don’t allow` and
    `Ajouter un commentaire…`, others the ASCII forms)."""
    return value.translate(_FOLD)


@lru_cache(maxsize=2048)
def _folded_words(keys: str | tuple[str, ...], locale: str | None, lower: bool) -> tuple[str, ...]:
    """`words(keys, locale)` folded (and lowered): a match compares every node of every dump
    against these, so they are worked out once per key and locale."""
    return tuple(fold(w).lower() if lower else fold(w) for w in words(keys, locale))


def _word_set(arg: str | Iterable[str], locale: str | None, lower: bool = False) -> tuple[str, ...]:
    return _folded_words(arg if isinstance(arg, str) else tuple(arg), locale, lower)


def text_matches(value: str, spec: dict, locale: str | None) -> bool:
    """`value` (a node's text or desc) against one {op: arg} spec."""
    norm = fold(value).strip()
    for op, arg in spec.items():
        if op == "exact":
            ok = norm in _word_set(arg, locale)
        elif op == "prefix":
            ok = norm.startswith(_word_set(arg, locale))
        elif op == "contains":
            low = norm.lower()
            ok = any(w in low for w in _word_set(arg, locale, lower=True))
        elif op == "literal":
            ok = norm in [fold(v).strip() for v in _as_list(arg)]
        elif op == "literal_prefix":
            ok = any(norm.startswith(fold(v)) for v in _as_list(arg))
        elif op == "regex":
            ok = re.search(arg, norm) is not None
        elif op == "empty":
            ok = (norm == "") == bool(arg)
        else:
            raise ValueError(f"unknown text operation {op!r}")
        if not ok:
            return False
    return True


def is_word(value: str, keys: str | Iterable[str], locale: str | None) -> bool:
    """`value` is exactly one of the words of `keys` (folded as every match is)."""
    return text_matches(value, {"exact": keys if isinstance(keys, str) else list(keys)}, locale)


def is_semantic(definition: dict) -> bool:
    """True when the definition has a criterion other than resource ids. A definition that is
    not can never match (see `match`)."""
    if "system_id" in definition and "package" not in definition:
        return False
    return any(key in definition for key in SEMANTIC)


def check_definition(definition: dict) -> None:
    unknown = set(definition) - {*SEMANTIC, "hint_ids", "system_id", "screens", "pick",
                                  "selected", "checked", "enabled", "clickable", "focused"}
    if unknown:
        raise ValueError(f"unknown selector keys {sorted(unknown)}")
    for key in ("text", "desc", "label"):
        if key in definition and not set(definition[key]) <= set(_TEXT_OPS):
            raise ValueError(f"unknown {key} operations in {definition[key]}")


def _node_ok(screen: Screen, node: Node, d: dict, locale: str | None, app: str) -> bool:
    if "class" in d and node.kind not in _as_list(d["class"]):
        return False
    if "text" in d and not text_matches(node.text, d["text"], locale):
        return False
    if "desc" in d and not text_matches(node.desc, d["desc"], locale):
        return False
    if "label" in d and not (text_matches(node.text, d["label"], locale)
                             or text_matches(node.desc, d["label"], locale)):
        return False
    if "package" in d:
        packages = _as_list(d["package"])
        if packages == ["permission"]:
            packages = load(app)["permission_packages"]
        if node.package not in packages:
            return False
    if "system_id" in d and node.short_id not in _as_list(d["system_id"]):
        return False
    for flag in ("selected", "checked", "enabled", "clickable", "focused"):
        if flag in d and getattr(node, flag) != d[flag]:
            return False
    return "region" not in d or in_region(screen, node, d["region"])


def score(node: Node, d: dict) -> int:
    return 1 if node.short_id and node.short_id in _as_list(d.get("hint_ids")) else 0


def match(screen: Screen, definition: dict, locale: str | None = None,
          app: str = "musically") -> list[Node]:
    """Every node satisfying all semantic criteria of `definition`, best first: hint ids raise
    a node's score; among equals `pick` decides (default `top`: drawn last = on top). A
    definition with nothing but ids matches nothing: an id can never decide alone."""
    if not is_semantic(definition) or "rule" in definition:
        return []
    found = [n for n in screen.nodes if _node_ok(screen, n, definition, locale, app)]
    return order(found, definition.get("pick", "top"), definition)


def order(nodes: list[Node], pick: str, definition: dict | None = None) -> list[Node]:
    keys = {"top": lambda n: -n.index, "first": lambda n: n.index, "last": lambda n: -n.index,
            "rightmost": lambda n: -n.bounds[2], "leftmost": lambda n: n.bounds[0]}
    key = keys[pick]
    return sorted(nodes, key=lambda n: (-score(n, definition or {}), key(n)))


# --- locale ------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _markers(app: str = "musically") -> dict[str, set[str]]:
    """Per locale, the marker words no other locale uses."""
    data = load(app)
    keys = data["locale_markers"]
    per = {loc: {w for k in keys for w in _as_list(data["locales"][loc].get(k))}
           for loc in data["locales"]}
    return {loc: {w for w in mine if not any(w in other for o, other in per.items() if o != loc)}
            for loc, mine in per.items()}


def detect_locale(screen: Screen, app: str = "musically") -> str | None:
    """The app's language from one dump (nav, tabs and button labels), or None when unsure."""
    counts = dict.fromkeys(_markers(app), 0)
    for node in screen.nodes:
        for value in (node.text, node.desc):
            if not value:
                continue
            for loc, marks in _markers(app).items():
                if value in marks or any(value.startswith(m) and len(m) > 8 for m in marks):
                    counts[loc] += 1
    best = sorted(counts.items(), key=lambda kv: -kv[1])
    if not best or best[0][1] == 0 or (len(best) > 1 and best[1][1] * 2 >= best[0][1]):
        return None
    return best[0][0]
