"""The README's CLI reference, generated from the commands' own `--help` (so it cannot drift).

`render()` walks the click tree and returns Markdown; `python -m appliance.cli.reference --write`
rewrites README.md between the `cli-reference` markers, `--check` exits 1 when it is stale.
Main thread only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

START = "<!-- cli-reference:start -->"
END = "<!-- cli-reference:end -->"
README = Path(__file__).resolve().parents[2] / "README.md"
WIDTH = 100


def _walk(command: click.Command, path: list[str], parent: click.Context | None):
    settings = {"max_content_width": WIDTH, "terminal_width": WIDTH, **command.context_settings}
    ctx = click.Context(command, info_name=path[-1], parent=parent, **settings)
    yield path, command, ctx
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(ctx)):
            sub = command.get_command(ctx, name)
            if sub is not None:  # listed commands exist; a lazy group could still say no
                yield from _walk(sub, [*path, name], ctx)


def render() -> str:
    """Markdown: one heading and one fenced `--help` block per command, in tree order."""
    from appliance.cli import main

    parts = ["Generated from `--help` by `python -m appliance.cli.reference --write`; "
             "do not edit by hand.\n"]
    for path, command, ctx in _walk(main, ["appliance"], None):
        text = command.get_help(ctx).rstrip()
        parts.append(f"### `{' '.join(path)}`\n\n```text\n{text}\n```\n")
    return "\n".join(parts)


def readme_section(text: str) -> str:
    """What README.md holds between the markers (ValueError when they are missing)."""
    start, end = text.index(START) + len(START), text.index(END)
    return text[start:end].strip("\n")


def updated_readme(text: str) -> str:
    start, end = text.index(START) + len(START), text.index(END)
    return text[:start] + "\n" + render().strip("\n") + "\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = README.read_text(encoding="utf-8")
    if "--write" in argv:
        README.write_text(updated_readme(text), encoding="utf-8")
        print(f"updated the CLI reference in {README}")
        return 0
    if "--check" in argv:
        stale = readme_section(text) != render().strip("\n")
        if stale:
            print("README.md's CLI reference is stale: run python -m appliance.cli.reference --write")
        return 1 if stale else 0
    print(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
