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
    from lab.exercises.schema import Exercise
    from lab.lifecycle import Reset, Started
    from lab.settings import Settings
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
        _note_unmet_prerequisites(settings, exercise)


def _note_unmet_prerequisites(settings: Settings, exercise: Exercise) -> None:
    """Starting an exercise before what it builds on is allowed; the learner is told."""
    from lab import console, learner

    progress = learner.load_progress(settings)
    unmet = [i for i in exercise.spec.prerequisites if not progress.of(i).passed]
    if unmet:
        console.info(f"This exercise builds on {', '.join(unmet)}, which you have not passed "
                     "yet; `lab list` shows the course.")


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


def list_exercises(as_json: JsonOption = False) -> None:
    """Every exercise: its time, level and what it builds on; done, current or pending."""
    from lab import learner
    from lab.cli import course_views
    from lab.exercises.catalogue import Catalogue

    with answers.answering(as_json):
        settings = invocation.settings()
        progress = learner.load_progress(settings)
        exercises = Catalogue.of(settings).exercises()
    if as_json:
        answers.write(course_views.list_document(settings.student, exercises, progress))
    else:
        course_views.show_list(exercises, progress)


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
    _note_unmet_prerequisites(settings, exercise)


def check(as_json: JsonOption = False) -> None:
    """Run every check of the current exercise; exit 0 only when every goal holds."""
    from lab import checking
    from lab.cli import course_views
    from lab.exercises.catalogue import Catalogue

    with answers.answering(as_json):
        settings = invocation.settings()
        outcome = checking.check(settings)
    last = Catalogue.of(settings).ids()[-1:] == [outcome.exercise.id]
    if as_json:
        answers.write(course_views.check_document(outcome, last))
    else:
        course_views.show_check(outcome, last)
    if not outcome.passed:
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
    console.info("`lab list` marks this exercise as solved with `lab solve`.")
