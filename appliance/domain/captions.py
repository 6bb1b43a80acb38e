"""Caption text rules of the post script, as TikMatrix users write them: spintax `{a|b|c}`
(nested), `###` for a line break and `Title##Description` to fill the title and the description.

Pure functions over a caller's `random.Random`; any thread.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

LINE_BREAK = "###"
TITLE_SPLIT = "##"


@dataclass(frozen=True)
class Caption:
    title: str         # "" when the text has no `##`
    description: str   # what goes in the caption (description) field

    @property
    def text(self) -> str:
        """Both parts as one string, for logs and remarks."""
        return f"{self.title}##{self.description}" if self.title else self.description


def _closing(text: str, start: int) -> int:
    """The index of the `}` that closes the `{` at `start`, or -1 when it is never closed."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _split_top(inner: str) -> list[str]:
    """`inner` split at the `|` that are not inside nested braces."""
    parts, depth, last = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(inner[last:i])
            last = i + 1
    parts.append(inner[last:])
    return parts


def spin(text: str, rng: random.Random) -> str:
    """Resolve spintax left to right, outer choice first, then inside the chosen variant.
    Braces without a top-level `|` and unclosed braces stay literal (their inside is resolved)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "{":
            j = text.find("{", i)
            j = len(text) if j < 0 else j
            out.append(text[i:j])
            i = j
            continue
        end = _closing(text, i)
        if end < 0:
            out.append("{")
            i += 1
            continue
        parts = _split_top(text[i + 1:end])
        if len(parts) == 1:
            out.append("{" + spin(parts[0], rng) + "}")
        else:
            out.append(spin(rng.choice(parts), rng))
        i = end + 1
    return "".join(out)


def render(text: str, rng: random.Random) -> Caption:
    """Spintax resolved, `###` turned into line breaks, then split once at the first `##` into
    title and description (`Title##Description`)."""
    spun = spin(text, rng).replace(LINE_BREAK, "\n")
    title, sep, description = spun.partition(TITLE_SPLIT)
    if not sep:
        return Caption("", spun)
    return Caption(title.strip(), description)
