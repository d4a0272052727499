"""`lab` command lines quoted in Markdown, and whether each one names real commands and options."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SHELL_LANGUAGES = {"", "bash", "sh", "shell", "console", "zsh", "powershell", "ps1"}
SEPARATORS = {"&&", "||", ";", "|", "&", "(", ")"}
PREFIXES = {"sudo", "time", "exec", "env", "!"}  # words that run the next word as a command
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
INLINE_CODE = re.compile(r"(?<!`)`(lab [^`\n]+)`(?!`)")
PLACEHOLDER = re.compile(r"^([A-Z][A-Z0-9_]*|\.\.\.|…|<[^>]+>)$")  # NAME, FILE, ..., <name>


@dataclass(frozen=True)
class Quote:
    """One `lab` command line in a page: where it is, and its words after `lab`."""

    where: str  # "docs/index.md:12"
    line: str
    words: tuple[str, ...]


def quotes(text: str, source: str) -> Iterator[Quote]:
    """Every `lab` command in the page's shell code blocks and inline code spans."""
    for number, line in _code_block_lines(text):
        for words in _lab_commands(line):
            yield Quote(f"{source}:{number}", line, words)
    for number, line in enumerate(text.splitlines(), 1):
        for span in INLINE_CODE.findall(line):
            for words in _lab_commands(span):
                yield Quote(f"{source}:{number}", span, words)


def _code_block_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, command) for each command line inside a shell code block."""
    fence: str | None = None
    language = ""
    pending = ""
    for number, raw in enumerate(text.splitlines(), 1):
        match = FENCE.match(raw)
        if fence is None:
            if match:
                fence, language = match["fence"], match["lang"].lower()
            continue
        if raw.strip().startswith(fence) and raw.strip().strip(fence[0]) == "":
            fence = None
            continue
        if language not in SHELL_LANGUAGES:
            continue
        line = _command_part(raw.strip(), language)
        if line is None:
            continue
        if line.endswith("\\"):  # a command continued on the next line
            pending += line[:-1] + " "
            continue
        yield number, pending + line
        pending = ""


def _command_part(line: str, language: str) -> str | None:
    """The command typed on this line: after a `$ ` prompt in console blocks, else the line."""
    if language == "console":
        return line[2:] if line.startswith("$ ") else None
    if not line or line.startswith("#"):
        return None
    return line[2:] if line.startswith("$ ") else line


def _lab_commands(line: str) -> Iterator[tuple[str, ...]]:
    """The words after `lab` of each simple command in a shell line (pipes, `&&`, `sudo`)."""
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
    except ValueError:  # an unclosed quote: not a shell line we can judge
        return
    for segment in _segments(tokens):
        words = _drop_prefixes(segment)
        if words and words[0] == "lab":
            yield tuple(words[1:])


def _segments(tokens: list[str]) -> Iterator[list[str]]:
    segment: list[str] = []
    for token in tokens:
        if token in SEPARATORS:
            yield segment
            segment = []
        else:
            segment.append(token)
    yield segment


def _drop_prefixes(words: list[str]) -> list[str]:
    """`sudo lab ...`, `LAB_OFFLINE=1 lab ...`: the command is the first other word."""
    index = 0
    while index < len(words) and (words[index] in PREFIXES or _assignment(words[index])):
        index += 1
    return words[index:]


def _assignment(word: str) -> bool:
    return re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", word) is not None


def problem(root: Any, words: tuple[str, ...]) -> str | None:
    """Why `lab WORDS` is not a real command line (None if it is): an unknown command or an
    option the command does not have. Arguments are not judged: pages use placeholders."""
    command, path, index = root, ["lab"], 0
    while index < len(words):
        word = words[index]
        if word == "--":
            return None
        if word.startswith("-") and word != "-":
            option = _option(command, word)
            if option is None:
                return f"`{' '.join(path)}` has no option {word}"
            index += 1 + _values_taken(option, word)
            continue
        if hasattr(command, "commands"):
            if PLACEHOLDER.match(word):
                return None
            if word not in command.commands:
                return f"`{' '.join(path)}` has no command {word!r}"
            command, index = command.commands[word], index + 1
            path.append(word)
            continue
        if not command.context_settings.get("allow_interspersed_args", True):
            return None  # `lab run -s web1 uptime -x`: from the first argument on, the command's
        index += 1
    return None


def _option(command: Any, word: str) -> Any | None:
    name = word.split("=", 1)[0]
    for param in command.params:
        if param.param_type_name == "option" and name in (*param.opts, *param.secondary_opts):
            return param
    if name == "--help":
        return _HELP
    return None


class _HelpOption:
    is_flag = True
    count = False
    nargs = 0


_HELP = _HelpOption()


def _values_taken(option: Any, word: str) -> int:
    if option.is_flag or option.count or "=" in word:
        return 0
    return max(int(option.nargs), 1)
