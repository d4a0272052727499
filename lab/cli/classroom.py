"""`lab class ...`: a whole class at once: set it up, start, check, see, reset and stop."""

from __future__ import annotations

import runpy
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lab.cli import answers, invocation
from lab.errors import UsageError

# The class's modules (YAML, pydantic, threads) and rich (through lab.console) are imported
# by the commands that use them, so that `lab --help` stays fast.
if TYPE_CHECKING:
    from lab.classroom.outcomes import Outcome, Summary
    from lab.classroom.standings import Cell

app = typer.Typer(
    help="A whole class at once: every student's lab command runs side by side, each on the "
         "student's own engine.",
    no_args_is_help=True)

StudentsOption = Annotated[list[str] | None, typer.Option(
    "--student", "-s", metavar="NAME",
    help="Only this student of the class (repeat for several); default every student.")]
ParallelOption = Annotated[int, typer.Option(
    "--parallel", min=1, max=64, help="Students whose command runs at once on one engine.")]
PER_ENGINE = 8


def run_lab_in_child() -> None:
    """What each student's process forked warm runs (lab.warm): the `lab` program, exactly
    as `python -m lab` runs it, once the consoles are made for the child's own output (the
    warm process's were the instructor's terminal)."""
    from lab import console

    console.reopen()
    runpy.run_module("lab", run_name="__main__")


@app.command()
def init(
    roster: Annotated[Path, typer.Argument(
        help="Student names one a line (# starts a comment), or YAML: `students:` with "
             "`- name: NAME` and optionally `engine: URL` (or a default `engine:`).")],
) -> None:
    """Set up the class from a roster; saves it as class.yaml in the lab's data folder."""
    from lab import console
    from lab.classroom.roster import load_roster, save_roster

    loaded = load_roster(roster)
    path = save_roster(invocation.settings(), loaded)
    engines = loaded.by_engine()
    console.table(["engine", "students"],
                  [[engine, ", ".join(s.name for s in group)] for engine, group in engines.items()])
    console.success(f"class of {len(loaded.students)} on {_count(len(engines), 'engine')} "
                    f"saved to {path}")


@app.command()
def start(
    exercise: Annotated[str, typer.Argument(help="Exercise id, number or slug, e.g. 01.")],
    students: StudentsOption = None,
    parallel: ParallelOption = PER_ENGINE,
) -> None:
    """Start an exercise for every student (images made current on each engine first)."""
    from lab import fleet
    from lab.classroom.outcomes import summarize_start
    from lab.exercises.catalogue import Catalogue

    # A typo fails once, not once per student.
    chosen = Catalogue.of(invocation.settings()).find(exercise)
    _fan_out(["start", chosen.id], students, parallel, summarize_start,
             images=fleet.lab_images_needed(chosen))


@app.command()
def check(students: StudentsOption = None, parallel: ParallelOption = PER_ENGINE) -> None:
    """Run every student's checks of their current exercise; exit 1 unless all passed."""
    from lab.classroom.outcomes import summarize_check

    _fan_out(["check"], students, parallel, summarize_check)


@app.command()
def stop(students: StudentsOption = None, parallel: ParallelOption = PER_ENGINE) -> None:
    """Remove every student's running servers; progress and workspaces stay."""
    from lab.classroom.outcomes import summarize_stop

    _fan_out(["stop"], students, parallel, summarize_stop)


@app.command()
def reset(
    students: StudentsOption = None,
    exercise: Annotated[str | None, typer.Option(
        "--exercise", "-e", help="Put this exercise back to its start (servers recreated); "
                                 "default: remove everything of each student.")] = None,
    forget_progress: Annotated[bool, typer.Option(
        "--progress", help="Also forget the progress (default: progress is kept).")] = False,
    parallel: ParallelOption = PER_ENGINE,
) -> None:
    """Reset students: each one's `lab reset --all`, or with --exercise `lab reset EXERCISE`."""
    from lab import fleet
    from lab.classroom.outcomes import summarize_reset
    from lab.exercises.catalogue import Catalogue

    progress = ["--progress"] if forget_progress else []
    if exercise is None:
        _fan_out(["reset", "--all", *progress], students, parallel, summarize_reset)
        return
    chosen = Catalogue.of(invocation.settings()).find(exercise)
    _fan_out(["reset", chosen.id, *progress], students, parallel, summarize_reset,
             images=fleet.lab_images_needed(chosen))


@app.command()
def status(
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every student x exercise: done (with the time the checks last passed), in progress,
    or not started; read from the progress files, no engine needed."""
    from lab import console
    from lab.classroom import standings
    from lab.classroom.roster import saved_roster
    from lab.exercises.catalogue import Catalogue

    if as_csv and as_json:
        raise UsageError("--csv and --json do not go together", "Choose one.")
    settings = invocation.settings()
    roster = saved_roster(settings)
    ids = Catalogue.of(settings).ids()
    rows = standings.standings(settings, roster, ids)
    if as_json:
        answers.write(standings.standings_json(rows, ids))
        return
    if as_csv:
        console.raw(standings.standings_csv(rows, ids))
        return
    several = len(roster.by_engine()) > 1
    console.table(
        ["student", *(["engine"] if several else []), *(_number(i) for i in ids), "done",
         "checks last passed"],
        [[row.student, *([row.engine] if several else []),
          *(_mark(row.cells[i]) for i in ids), f"{row.done}/{len(ids)}",
          _last_pass(row.last_pass())] for row in rows],
        styles=["red" if row.problem else None for row in rows],
    )
    console.info("  ".join(f"{mark} {state}" for state, mark in MARKS.items())
                 + f"  {SOLVED} `lab solve` used; "
                 + ", ".join(f"{_number(i)} {i.split('-', 1)[-1]}" for i in ids))
    for row in rows:
        if row.problem:
            console.warn(f"{row.student}: {row.problem}")


MARKS = {"done": "✓", "in progress": "▶", "not started": "·"}
SOLVED = "*"  # after the mark: the student ran `lab solve` there


def _mark(cell: Cell) -> str:
    return MARKS[cell.state] + (SOLVED if cell.solution_used else "")


def _number(exercise_id: str) -> str:
    return exercise_id.split("-", 1)[0]


def _last_pass(last: tuple[str, datetime] | None) -> str:
    if last is None:
        return "-"
    exercise_id, moment = last
    local = moment.astimezone()
    same_day = local.date() == datetime.now().astimezone().date()
    return f"{_number(exercise_id)} at {local.strftime('%H:%M' if same_day else '%Y-%m-%d %H:%M')}"


@app.command()
def prepare(
    bundle: Annotated[Path | None, typer.Option(
        "--bundle", help="Load this bundle (made by `lab images save`) instead of building.",
        exists=True, dir_okay=False)] = None,
) -> None:
    """Make the lab's images ready on every engine of the class, then say what each lacks."""
    from lab import console
    from lab.classroom import runs
    from lab.classroom.children import Processes
    from lab.classroom.roster import saved_roster

    settings = invocation.settings()
    roster = saved_roster(settings)
    engines = roster.by_engine()
    with console.counter("preparing images", len(engines)) as bar:
        outcomes = runs.prepare(settings, roster, bundle, runner=Processes(run_lab_in_child),
                                done=lambda _: bar.advance())
    console.table(["engine", "students", "result", "detail"],
                  [[o.engine, len(engines[o.engine]), o.result, o.detail] for o in outcomes],
                  styles=[None if o.ok else "red" for o in outcomes])
    _verdict(outcomes, "engine")


def _fan_out(args: list[str], students: list[str] | None, parallel: int, summary: Summary, *,
             images: list[str] | None = None) -> None:
    from lab import console
    from lab.classroom import runs
    from lab.classroom.children import Processes
    from lab.classroom.roster import saved_roster

    settings = invocation.settings()
    roster = saved_roster(settings).only(students or [])
    with console.counter(f"lab {' '.join(args)}", len(roster.students)) as bar:
        outcomes = runs.run_class(
            settings, roster, args, runner=Processes(run_lab_in_child), images=images,
            per_engine=parallel, summary=summary, done=lambda _: bar.advance(),
            phase=bar.describe)
    _show(outcomes)


def _show(outcomes: list[Outcome]) -> None:
    from lab import console

    console.table(["student", "engine", "result", "detail"],
                  [[o.student, o.engine, o.result, o.detail] for o in outcomes],
                  styles=[None if o.ok else "red" for o in outcomes])
    _verdict(outcomes, "student")


def _verdict(outcomes: list[Outcome], noun: str) -> None:
    from lab import console

    failed = sum(not outcome.ok for outcome in outcomes)
    if failed:
        errors = sum(outcome.result == "failed" for outcome in outcomes)
        not_yet = f"{failed - errors} not passed yet" if failed > errors else ""
        failures = f"{errors} failed" if errors else ""
        console.error(f"of {_count(len(outcomes), noun)}, "
                      f"{' and '.join(part for part in (failures, not_yet) if part)}; "
                      "the table says why")
        raise typer.Exit(1)
    console.success(f"all {_count(len(outcomes), noun)} ok")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
