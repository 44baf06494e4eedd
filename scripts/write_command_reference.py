"""Write docs/reference/commands.md from the Click commands, so the reference cannot drift from
``ml5-dcgan COMMAND --help``.

    python scripts/write_command_reference.py            # rewrite the file
    python scripts/write_command_reference.py --check    # exit 1 when the file is out of date

Only Click is imported (no TensorFlow): every page is Click's own ``get_help`` text, formatted
at a fixed width so the file is the same on every machine.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "reference" / "commands.md"
COLUMNS = 100  # ml5-dcgan's help is laid out for at most 100 columns (max_content_width)
HEADER = """# Command reference

Generated from the Click commands by `scripts/write_command_reference.py`; do not edit by hand.
After changing a command, run `python scripts/write_command_reference.py` (a test fails while
this file is out of date). Each section is what `ml5-dcgan COMMAND --help` prints in a terminal
100 columns wide.
"""


def walk(command: click.Command, ctx: click.Context) -> Iterator[tuple[str, str]]:
    """Yield (command path, help text) for ``command`` and every subcommand, depth first."""
    yield ctx.command_path, command.get_help(ctx)
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            child = command.get_command(ctx, name)
            if child is not None and not child.hidden:
                yield from walk(child, child.make_context(name, [], parent=ctx,
                                                          resilient_parsing=True))


def anchor(title: str) -> str:
    """The anchor GitHub gives a ``## title`` heading made of words, spaces and dashes."""
    return title.lower().replace(" ", "-")


def render() -> str:
    """The whole reference page, as Markdown."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from ml5_dcgan_tools.cli import cli

    # Click fills a terminal's width less 2 columns; fixing it keeps the file machine-independent.
    root = cli.make_context("ml5-dcgan", [], resilient_parsing=True,
                            terminal_width=COLUMNS - 2, max_content_width=COLUMNS)
    pages = list(walk(cli, root))
    lines = [HEADER]
    lines += [f"- [`{path}`](#{anchor(path)})" for path, _ in pages]
    for path, text in pages:
        lines += ["", f"## {path}", "", "```text", text.rstrip(), "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the file differs from the commands")
    parser.add_argument("--out", type=Path, default=TARGET, help="the file (default: %(default)s)")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else None
        if current != text:
            print(f"{args.out} is out of date with the commands; fix: python "
                  "scripts/write_command_reference.py", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
