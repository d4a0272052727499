"""Exercise commands: start, stop, status, reset, list, next, check, hint and solve."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from lab.cli import answers, invocation
from lab.cli.images import ensure_images, ensure_images_aside
from lab.docs import page_url
from lab.errors import UsageError

# The lab's services (and rich, through lab.console) are imported by the commands that use
# them: `lab --help` and `lab list` must not pay for the engine's or the fleet's imports.
if TYPE_CHECKING:
    from lab.lifecycle import Reset, Started
    from lab.status import ServerStatus

ExerciseName = Annotated[str | None, typer.Argument(
    help="Exercise id, number or slug, e.g. 01-first-fleet, 1 or first-fleet.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def start(name: ExerciseName = None, as_json: JsonOption = False) -> None:
    """Start an exercise (default: the first unfinished one): servers, workspace, brief."""
    from lab import console, learner, lifecycle

    with answers.answering(as_json):
        settings = invocation.settings()
        exercise = learner.choose(settings, name)
        console.note(f"starting {exercise.id} ...")
        started = lifecycle.start(settings, exercise,
                                  ensure_images_aside if as_json else ensure_images, console.note)
    if as_json:
        answers.write(_started_document(started))
    else:
        _show_started(started)


def _show_started(started: Started) -> None:
    from lab import console

    exercise = started.exercise
    document = _started_document(started)
    console.markdown(f"# {exercise.spec.title}\n\n{exercise.spec.summary}")
    console.table(["server", "role", "image", "ports"],
                  [[server["server"], server["role"], server["image"],
                    ", ".join(f"{port.split('/')[0]}→{address}"
                              for port, address in server["ports"].items()) or "-"]
                   for server in document["servers"]])
    if document["load_balancer"]:
        console.info(f"Load balancer: {document['load_balancer']}")
    console.info(f"Workspace: {started.workspace.path}")
    console.info(f"Tutorial:  {page_url(exercise.id)} (run `lab docs` to serve it)")
    console.success(f"{exercise.id} is running. Next: `lab ssh SERVER`, `lab run`, `lab check`.")


def _started_document(started: Started) -> dict[str, Any]:
    """What `lab start --json` answers: the exercise, its servers and where things are."""
    from lab import fleet
    from lab.deploy.balancer import HTTP_PORT, LB_ROLE
    from lab.deploy.balancer import url as balancer_url

    containers = started.containers
    return {
        "exercise": started.exercise.id,
        "title": started.exercise.spec.title,
        "servers": [{"server": fleet.server_name(info), "role": info.labels.get("lab.role", ""),
                     "image": info.image,
                     "ports": {binding.container_port: f"{binding.host_ip}:{binding.host_port}"
                               for binding in info.ports}}
                    for info in containers],
        "load_balancer": next((balancer_url(info, here=False) for info in containers
                               if info.labels.get("lab.role") == LB_ROLE
                               and info.host_port(HTTP_PORT)), None),
        "workspace": str(started.workspace.path),
        "tutorial": page_url(started.exercise.id),
    }


def stop(as_json: JsonOption = False) -> None:
    """Remove the running exercise's servers; your progress and workspace stay."""
    from lab import console, lifecycle

    with answers.answering(as_json):
        stopped = lifecycle.stop(invocation.settings(), console.note)
    exercise_id, count = stopped if stopped else (None, 0)
    if as_json:
        answers.write({"exercise": exercise_id, "removed": count})
    elif exercise_id is None:
        console.info("No exercise is started; nothing to stop.")
    elif count == 0:
        console.info(f"{exercise_id} is not running; nothing to stop.")
    else:
        console.success(f"stopped {exercise_id}: {_count(count, 'container')} removed")


def status(as_json: JsonOption = False) -> None:
    """The current exercise's servers: state, image, app version, ports, uptime."""
    from lab import console
    from lab.deploy.balancer import LB_ROLE
    from lab.status import fleet_status, human_uptime

    settings = invocation.settings()
    exercise_id, rows = fleet_status(settings)
    balancers = [row for row in rows if row.role == LB_ROLE]
    if as_json:
        answers.write({
            "exercise": exercise_id,
            # What a learner's own tools (a fabfile) need to reach the servers themselves.
            "ssh": {"host": "127.0.0.1", "user": "root", "key": str(settings.private_key)},
            "servers": [row.as_json() for row in rows],
            # Where traffic goes in: its URL on the host and its backends (null: none).
            "load_balancer": next(({"url": row.url, "backends": row.as_json()["backends"]}
                                   for row in balancers), None),
        })
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
    as_json: JsonOption = False,
) -> None:
    """Put an exercise back to its start: servers recreated, workspace backed up and fresh."""
    from lab import console, learner, lifecycle

    with answers.answering(as_json):
        settings = invocation.settings()
        if everyone:
            _reset_everyone(everything, name, forget_progress, as_json)
            return
        if everything:
            result = lifecycle.reset_all(settings, forget_progress=forget_progress,
                                         report=console.note)
        else:
            exercise = (learner.current(settings) if name is None
                        else learner.choose(settings, name))
            result = lifecycle.reset(
                settings, exercise, forget_progress=forget_progress,
                ensure_images=ensure_images_aside if as_json else ensure_images,
                report=console.note)
    if as_json:
        answers.write(_reset_document(settings.student, result, forget_progress))
    else:
        _show_reset(settings.student, result, forget_progress)


def _reset_document(student: str, result: Reset, forget_progress: bool) -> dict[str, Any]:
    """What `lab reset --json` answers: what was removed and kept, and what runs again."""
    return {
        "student": student,
        "exercise": result.exercise.id if result.exercise else None,
        "removed": result.removed,
        "backup": str(result.backup) if result.backup else None,
        "progress": "forgotten" if forget_progress else "kept",
        "started": _started_document(result.started) if result.started else None,
    }


def _show_reset(student: str, result: Reset, forget_progress: bool) -> None:
    from lab import console

    if result.started:
        _show_started(result.started)
    else:
        console.success(f"removed every lab resource of {student}: {_removed(result.removed)}")
    if result.backup:
        console.info(f"Your previous workspace is kept in {result.backup}")
    if not forget_progress:
        console.info("Your progress is kept (`lab list`).")


def _reset_everyone(everything: bool, name: str | None, forget_progress: bool,
                    as_json: bool) -> None:
    from lab import console
    from lab.classroom.everyone import reset_everyone

    if not everything or name:
        raise UsageError("--everyone goes with --all and no exercise",
                         "Run `lab reset --all --everyone [--progress]`.")
    result = reset_everyone(invocation.settings(), forget_progress=forget_progress,
                            report=console.note)
    kept = "forgotten" if forget_progress else "kept"
    if as_json:
        answers.write({"students": result.students, "removed": result.removed,
                       "progress": kept})
        return
    console.success(f"removed every lab resource on this engine: {_removed(result.removed)}")
    if result.students:
        console.info(f"Students reset: {', '.join(result.students)}; workspaces backed up, "
                     f"progress {kept}.")


def _removed(removed: dict[str, int]) -> str:
    return ", ".join(_count(count, kind.rstrip("s")) for kind, count in removed.items())


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def list_exercises() -> None:
    """Every exercise, with done / current / pending and your overall progress."""
    from lab import console, learner
    from lab.exercises.catalogue import Catalogue

    settings = invocation.settings()
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
    from lab.exercises.catalogue import Catalogue

    settings = invocation.settings()
    current_id = learner.load_progress(settings).current
    following = Catalogue.of(settings).following(current_id) if current_id else None
    if current_id and following is None:
        console.success("That was the last exercise. `lab list` shows where you stand.")
        return
    exercise = following or learner.choose(settings, None)
    console.note(f"starting {exercise.id} ...")
    _show_started(lifecycle.start(settings, exercise, ensure_images, console.note))


def check(as_json: JsonOption = False) -> None:
    """Run every check of the current exercise; exit 0 only when every goal holds."""
    from lab import checking, console

    with answers.answering(as_json):
        verdict = checking.check(invocation.settings())
    if as_json:
        answers.write({
            "exercise": verdict.exercise.id, "passed": verdict.passed,
            "goals": [{"goal": g.goal, "ok": g.ok, "reasons": g.reasons} for g in verdict.goals],
        })
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

    exercise, number, text = checking.next_hint(invocation.settings())
    console.markdown(f"**Hint {number}/{len(exercise.spec.hints)}**\n\n{text}")


def solve() -> None:
    """Run the reference solution step by step, showing each command."""
    from lab import checking, console

    count = checking.solve(invocation.settings(), console.step)
    console.success(f"ran {count} solution steps; `lab check` judges the result")
