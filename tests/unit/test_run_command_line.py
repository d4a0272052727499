"""How `lab run` turns the words after `--` into the command the servers run."""

from __future__ import annotations

import shlex

from lab.cli.servers import command_line


def test_one_argument_is_a_command_line_as_typed() -> None:
    assert command_line(["apt-get update && apt-get install -y tree"]) == \
        "apt-get update && apt-get install -y tree"


def test_several_arguments_keep_each_word_whole() -> None:
    words = ["sh", "-c", 'echo "quick fix, do not touch" >> /etc/motd']
    assert shlex.split(command_line(words)) == words


def test_plain_words_stay_readable() -> None:
    assert command_line(["apt-get", "install", "-y", "tree"]) == "apt-get install -y tree"
