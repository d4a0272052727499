"""The CLI reference page, docs/reference/cli.md, generated from the `lab` command's own help
(its Click command tree, which `lab dev reference` takes from the running command)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from lab.docs.sources import source_root

PAGE = Path("docs") / "reference" / "cli.md"
REGENERATE = "lab dev reference"

HEADER = f"""\
# CLI reference

Every `lab` command with its arguments, options and help text. `lab COMMAND --help` prints
the same help in your terminal.

<!-- Generated from the lab's commands by `{REGENERATE}`: edit the help texts in lab/cli/,
     then run that command. A test fails when this page is stale. -->
"""


def page_file() -> Path:
    return source_root() / PAGE


def reference_markdown(root: Any) -> str:
    """The whole page, from the command tree of `lab` (a Click group)."""
    context = root.context_class(root, info_name="lab")
    sections = _sections(root, context, level=2)
    return HEADER + "\n" + "\n\n".join(sections) + "\n"


def is_current(root: Any) -> bool:
    path = page_file()
    return path.is_file() and path.read_text(encoding="utf-8") == reference_markdown(root)


def write(root: Any) -> Path:
    path = page_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(reference_markdown(root), encoding="utf-8")
    return path


def _sections(command: Any, context: Any, level: int) -> list[str]:
    """This command's section, then its subcommands' sections one level deeper."""
    sections = [_section(command, context, level)]
    for name in _subcommands(command, context):
        child = command.commands[name]
        child_context = child.context_class(child, info_name=name, parent=context)
        sections += _sections(child, child_context, min(level + 1, 3))
    return sections


def _section(command: Any, context: Any, level: int) -> str:
    path = context.command_path
    parts = [f"{'#' * level} `{path}` {{ #{anchor(path)} }}"]
    if command.help:
        parts.append(inspect.cleandoc(command.help))
    usage = " ".join([path, *command.collect_usage_pieces(context)])
    parts.append(f"```console\n$ {usage}\n```")
    arguments = _argument_rows(command, context)
    if arguments:
        parts.append(_table(("argument", "description"), arguments))
    parts.append(_table(("option", "description"), _option_rows(command, context)))
    subcommands = [(f"[`{name}`](#{anchor(f'{path} {name}')})",
                    command.commands[name].get_short_help_str(limit=300))
                   for name in _subcommands(command, context)]
    if subcommands:
        parts.append(_table(("command", "what it does"), subcommands))
    return "\n\n".join(parts)


def _subcommands(command: Any, context: Any) -> list[str]:
    if not hasattr(command, "list_commands"):
        return []
    return [name for name in command.list_commands(context)
            if not getattr(command.commands[name], "hidden", False)]


def _argument_rows(command: Any, context: Any) -> list[tuple[str, str]]:
    rows = []
    for param in command.params:
        if param.param_type_name == "argument" and not getattr(param, "hidden", False):
            record = param.get_help_record(context)
            help_text = record[1] if record else ""
            rows.append((f"`{' '.join(param.get_usage_pieces(context))}`", help_text))
    return rows


def _option_rows(command: Any, context: Any) -> list[tuple[str, str]]:
    params = [param for param in command.get_params(context)
              if param.param_type_name == "option" and not getattr(param, "hidden", False)]
    rows = []
    for param in params:
        record = param.get_help_record(context)
        if record:
            rows.append((f"`{record[0]}`", record[1]))
    return rows


def _table(header: tuple[str, str], rows: list[tuple[str, str]]) -> str:
    """Two columns: the left one is code already (backticks), the right one is prose."""
    lines = [f"| {header[0]} | {header[1]} |", "|---|---|"]
    lines += [f"| {_cell(left)} | {_prose(right)} |" for left, right in rows]
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Table-safe: one line, no pipe."""
    return " ".join(text.split()).replace("|", "\\|")


def _prose(text: str) -> str:
    """Table-safe prose: no angle bracket taken for HTML either (inside code it is literal)."""
    return _cell(text).replace("<", "&lt;").replace(">", "&gt;")


def anchor(command_path: str) -> str:
    """`lab images build` -> lab-images-build."""
    return "-".join(command_path.split())
