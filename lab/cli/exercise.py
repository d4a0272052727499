"""Exercise commands: start, stop, status, reset, list, next, check, hint and solve."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from lab.lifecycle import Started
    from lab.status import ServerStatus

ExerciseName = Annotated[str | None, typer.Argument(
    help="Exercise id, number or slug, e.g. 01-first-fleet, 1 or first-fleet.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _ensure_images(names: list[str]) -> None:
    from lab.cli.images import build_images

    build_images(names, quiet_when_current=True)


def start(name: ExerciseName = None) -> None:
    """Start an exercise (default: the first unfinished one): servers, workspace, brief."""
    from lab import console, learner, lifecycle
    from lab.environment import current_settings

    settings = current_settings()
    exercise = learner.choose(settings, name)
    console.note(f"starting {exercise.id} ...")
    started = lifecycle.start(settings, exercise, _ensure_images, console.note)
    _show_started(started)


def _show_started(started: Started) -> None:
    from lab import console, fleet
    from lab.deploy.balancer import HTTP_PORT, LB_ROLE
    from lab.deploy.balancer import url as balancer_url
    from lab.docs import page_url

    exercise = started.exercise
    console.markdown(f"# {exercise.spec.title}\n\n{exercise.spec.summary}")
    rows = []
    for info in started.containers:
        ports = ", ".join(f"{b.container_port.split('/')[0]}→{b.host_ip}:{b.host_port}"
                          for b in info.ports)
        rows.append([fleet.server_name(info), info.labels.get("lab.role", ""), info.image,
                     ports or "-"])
    console.table(["server", "role", "image", "ports"], rows)
    for info in started.containers:
        if info.labels.get("lab.role") == LB_ROLE and info.host_port(HTTP_PORT):
            console.info(f"Load balancer: {balancer_url(info, here=False)}")
    console.info(f"Workspace: {started.workspace.path}")
    console.info(f"Tutorial:  {page_url(exercise.id)} (run `lab docs` to serve it)")
    console.success(f"{exercise.id} is running. Next: `lab ssh SERVER`, `lab run`, `lab check`.")


def stop() -> None:
    """Remove the running exercise's servers; your progress and workspace stay."""
    from lab import console, lifecycle
    from lab.environment import current_settings

    stopped = lifecycle.stop(current_settings(), console.note)
    if stopped is None:
        console.info("No exercise is started; nothing to stop.")
        return
    exercise_id, count = stopped
    if count == 0:
        console.info(f"{exercise_id} is not running; nothing to stop.")
        return
    console.success(f"stopped {exercise_id}: {_count(count, 'container')} removed")


def status(as_json: JsonOption = False) -> None:
    """The current exercise's servers: state, image, app version, ports, uptime."""
    from lab import console
    from lab.deploy.balancer import LB_ROLE
    from lab.environment import current_settings
    from lab.status import fleet_status, human_uptime

    settings = current_settings()
    exercise_id, rows = fleet_status(settings)
    balancers = [row for row in rows if row.role == LB_ROLE]
    if as_json:
        document = {
            "exercise": exercise_id,
            # What a learner's own tools (a fabfile) need to reach the servers themselves.
            "ssh": {"host": "127.0.0.1", "user": "root", "key": str(settings.private_key)},
            "servers": [row.as_json() for row in rows],
            # Where traffic goes in: its URL on the host and its backends (null: none).
            "load_balancer": next(({"url": row.url, "backends": row.as_json()["backends"]}
                                   for row in balancers), None),
        }
        console.raw(json.dumps(document, indent=2) + "\n")
        return
    console.table(
        ["server", "state", "image", "app", "ports", "uptime"],
        [[r.name, r.state, r.image, r.app_version,
          ", ".join(f"{k.split('/')[0]}→{v}" for k, v in r.ports.items()) or "-",
          human_uptime(r.uptime_seconds)] for r in rows],
        title=exercise_id,
        styles=[None if r.state == "running" else "red" for r in rows],
    )
    for row in balancers:
        console.info(f"Load balancer: {row.url or 'not reachable'} → {_backends_text(row)}")


def _backends_text(row: ServerStatus) -> str:
    if row.backends is None:
        return "its backends cannot be read"
    if not row.backends:
        return "no server (every request gets 502)"
    return ", ".join(backend.server if backend.weight == 1 else
                     f"{backend.server} (weight {backend.weight})" for backend in row.backends)


def reset(
    name: ExerciseName = None,
    everything: Annotated[bool, typer.Option(
        "--all", help="Remove every lab container, network and volume of this student.")] = False,
    forget_progress: Annotated[bool, typer.Option(
        "--progress", help="Also forget the progress (default: progress is kept).")] = False,
    everyone: Annotated[bool, typer.Option(
        "--everyone", help="With --all: every student's, for a classroom machine between "
                           "classes (every lab container, network and volume on this engine).")
    ] = False,
) -> None:
    """Put an exercise back to its start: servers recreated, workspace backed up and fresh."""
    from lab import console, learner, lifecycle
    from lab.environment import current_settings

    settings = current_settings()
    if everyone:
        _reset_everyone(everything, name, forget_progress)
        return
    if everything:
        result = lifecycle.reset_all(settings, forget_progress=forget_progress,
                                     report=console.note)
        removed = ", ".join(
            _count(count, kind.rstrip("s")) for kind, count in result.removed.items())
        console.success(f"removed every lab resource of {settings.student}: {removed}")
    else:
        exercise = learner.current(settings) if name is None else learner.choose(settings, name)
        result = lifecycle.reset(settings, exercise, forget_progress=forget_progress,
                                 ensure_images=_ensure_images, report=console.note)
        if result.started:
            _show_started(result.started)
    if result.backup:
        console.info(f"Your previous workspace is kept in {result.backup}")
    if not forget_progress:
        console.info("Your progress is kept (`lab list`).")


def _reset_everyone(everything: bool, name: str | None, forget_progress: bool) -> None:
    from lab import classroom, console
    from lab.environment import current_settings
    from lab.errors import UsageError

    if not everything or name:
        raise UsageError("--everyone goes with --all and no exercise",
                         "Run `lab reset --all --everyone [--progress]`.")
    result = classroom.reset_everyone(current_settings(), forget_progress=forget_progress,
                                      report=console.note)
    removed = ", ".join(_count(count, kind.rstrip("s")) for kind, count in result.removed.items())
    console.success(f"removed every lab resource on this engine: {removed}")
    if result.students:
        kept = "forgotten" if forget_progress else "kept"
        console.info(f"Students reset: {', '.join(result.students)}; workspaces backed up, "
                     f"progress {kept}.")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def list_exercises() -> None:
    """Every exercise, with done / current / pending and your overall progress."""
    from lab import console, learner
    from lab.environment import current_settings
    from lab.exercises.catalogue import Catalogue

    settings = current_settings()
    progress = learner.load_progress(settings)
    exercises = Catalogue.of(settings).exercises()
    rows, styles = [], []
    for exercise in exercises:
        record = progress.of(exercise.id)
        state = "done" if record.passed else "current" if progress.current == exercise.id \
            else "pending"
        marks = {"done": "✓", "current": "▶", "pending": " "}
        rows.append([marks[state], exercise.id, exercise.spec.title, state])
        styles.append({"done": "green", "current": "bold", "pending": None}[state])
    console.table(["", "exercise", "title", "state"], rows, styles=styles)
    done = sum(1 for row in rows if row[3] == "done")
    console.info(f"{_bar(done, len(rows))} {done}/{len(rows)} done")


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def next_exercise() -> None:
    """Start the exercise after the current one (or the first unfinished one)."""
    from lab import console, learner, lifecycle
    from lab.environment import current_settings
    from lab.exercises.catalogue import Catalogue

    settings = current_settings()
    current_id = learner.load_progress(settings).current
    following = Catalogue.of(settings).following(current_id) if current_id else None
    if current_id and following is None:
        console.success("That was the last exercise. `lab list` shows where you stand.")
        return
    exercise = following or learner.choose(settings, None)
    console.note(f"starting {exercise.id} ...")
    _show_started(lifecycle.start(settings, exercise, _ensure_images, console.note))


def check(as_json: JsonOption = False) -> None:
    """Run every check of the current exercise; exit 0 only when every goal holds."""
    from lab import checking, console
    from lab.environment import current_settings

    verdict = checking.check(current_settings())
    if as_json:
        document = {
            "exercise": verdict.exercise.id, "passed": verdict.passed,
            "goals": [{"goal": g.goal, "ok": g.ok, "reasons": g.reasons} for g in verdict.goals],
        }
        console.raw(json.dumps(document, indent=2) + "\n")
    else:
        for goal in verdict.goals:
            if goal.ok:
                console.success(goal.goal)
            else:
                console.failure(goal.goal, goal.reasons)
        held = sum(goal.ok for goal in verdict.goals)
        console.info(f"{held}/{len(verdict.goals)} goals hold.")
        if verdict.passed:
            console.success(f"{verdict.exercise.id} passed! `lab next` starts the next exercise.")
    if not verdict.passed:
        raise typer.Exit(1)


def hint() -> None:
    """Show the next hint of the current exercise."""
    from lab import checking, console
    from lab.environment import current_settings

    exercise, number, text = checking.next_hint(current_settings())
    console.markdown(f"**Hint {number}/{len(exercise.spec.hints)}**\n\n{text}")


def solve() -> None:
    """Run the reference solution step by step, showing each command."""
    from lab import checking, console
    from lab.environment import current_settings

    count = checking.solve(current_settings(), console.step)
    console.success(f"ran {count} solution steps; `lab check` judges the result")
