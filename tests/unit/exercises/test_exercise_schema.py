"""The exercise model: server naming, group expansion, solution steps, immutability."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from lab.errors import UsageError
from lab.exercises.schema import ExerciseSpec


def spec(**fields: Any) -> ExerciseSpec:
    base: dict[str, Any] = {
        "format_version": 1,
        "id": "01-demo",
        "title": "Demo",
        "summary": "A demo.",
        "servers": [{"name": "web", "count": 3}, {"name": "lb"}],
        "checks": [{"kind": "package", "goal": "g", "name": "tree"}],
    }
    return ExerciseSpec.model_validate({**base, **fields})


def test_a_group_of_three_is_numbered_and_a_single_server_keeps_its_name() -> None:
    assert spec().server_names == ["web1", "web2", "web3", "lb"]


def test_group_and_server_names_expand_in_the_exercise_order() -> None:
    assert spec().expand(["lb", "web"]) == ["web1", "web2", "web3", "lb"]
    assert spec().expand(["web2"]) == ["web2"]
    assert spec().expand(None) == ["web1", "web2", "web3", "lb"]


def test_expanding_an_unknown_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown server 'db'"):
        spec().expand(["db"])


def test_solution_steps_become_argument_lists_for_lab() -> None:
    steps = spec(solution=["lab run --all -- sh -c 'echo hi > /tmp/x'", "lab check"])
    assert steps.solution_commands() == [
        ["run", "--all", "--", "sh", "-c", "echo hi > /tmp/x"],
        ["check"],
    ]


def test_a_solution_step_with_an_unclosed_quote_is_rejected() -> None:
    with pytest.raises(ValidationError, match="cannot be split into words"):
        spec(solution=["lab run --all -- sh -c 'oops"])


def test_the_model_is_frozen() -> None:
    model = spec()
    with pytest.raises(ValidationError):
        model.title = "changed"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": "first-fleet"}, "two-digit number and a lower-case slug"),
        ({"workspace": "../elsewhere"}, "folder name inside the exercise's folder"),
        ({"servers": [{"name": "web", "ports": [0]}]}, "greater than or equal to 1"),
        ({"servers": [{"name": "Web_1"}]}, "must start with a lower-case letter"),
        ({"format_version": 2}, "input should be 1"),
    ],
)
def test_malformed_values_are_rejected_with_a_reason(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        spec(**fields)
    assert message.lower() in str(caught.value).lower()


@pytest.mark.parametrize("concept", ["/concepts/x.md", "../docs/x.md", "concepts/x",
                                     "concepts\\x.md"])
def test_a_debrief_names_a_page_inside_the_docs_folder(concept: str) -> None:
    with pytest.raises(ValidationError, match="must be a page of the site"):
        spec(debrief={"proved": "It worked.", "concept": concept})
    assert spec(debrief={"proved": "It worked.", "concept": "concepts/x.md"}).debrief
