"""A `lab` command for every student of a class at once: engines side by side, a few
students at a time on each, and one student's failure never stops the others."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from lab.classroom.children import Completed, Job, Runner, child_environment, student_settings
from lab.classroom.engines import engine_environment
from lab.classroom.outcomes import FAILED, OK, Outcome, Summary, failure, summarize
from lab.classroom.roster import Roster
from lab.settings import Settings

PER_ENGINE = 8  # students whose command runs at once on one engine
JSON = "--json"  # every command of a class answers in JSON (lab.classroom.outcomes reads it)
LAB_IMAGES = ("root", "base", "server", "repo", "lb")  # what `lab images list` should show

Done = Callable[[Outcome], None]


def fan_out(jobs: Sequence[Job], work: Callable[[Job], Outcome], *,
            per_engine: int = PER_ENGINE, done: Done = lambda _: None) -> list[Outcome]:
    """Every job: engines at once, at most `per_engine` jobs of one engine at a time.

    Outcomes come in the order of `jobs`; a job whose work raises is that job's failure and
    no other's.
    """
    outcomes: list[Outcome | None] = [None] * len(jobs)
    counts: dict[str, int] = {}
    for job in jobs:
        counts[job.engine] = counts.get(job.engine, 0) + 1
    pools = {engine: ThreadPoolExecutor(max_workers=max(1, min(per_engine, count)),
                                        thread_name_prefix="class")
             for engine, count in counts.items()}

    def one(index: int) -> None:
        job = jobs[index]
        try:
            outcome = work(job)
        except Exception as exc:  # a bug or an OS failure: this student's, not the class's
            outcome = Outcome(job.student, job.engine, False, FAILED,
                              " ".join(str(exc).split()) or type(exc).__name__)
        outcomes[index] = outcome
        done(outcome)

    futures: list[Future[None]] = [pools[job.engine].submit(one, index)
                                   for index, job in enumerate(jobs)]
    try:
        for future in futures:
            future.result()
    finally:  # after Ctrl-C, waiting children are not waited for (see lab.parallel)
        for pool in pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
    return [outcome for outcome in outcomes if outcome is not None]


def engine_jobs(settings: Settings, roster: Roster, args: Sequence[str]) -> list[Job]:
    """`lab ARGS` once on each engine of the class, as the instructor."""
    mine = student_settings(settings, settings.student)
    return [Job("", engine, tuple(args), child_environment(mine, engine_environment(engine)))
            for engine in roster.by_engine()]


def run_class(settings: Settings, roster: Roster, args: Sequence[str], *, runner: Runner,
              images: Sequence[str] | None = None, summary: Summary = summarize,
              per_engine: int = PER_ENGINE, done: Done = lambda _: None,
              phase: Callable[[str], None] = lambda _: None) -> list[Outcome]:
    """`lab ARGS` as every student of the roster, each on the student's engine.

    With `images`, those lab images are first made current once on each engine (engines at
    once), so that the students' commands find them so and never build them side by side;
    the students of an engine where that fails fail with its reason, the others go on.
    """
    environments = {engine: engine_environment(engine) for engine in roster.by_engine()}
    broken: dict[str, str] = {}
    if images:
        phase("making the lab's images current on each engine")
        prepared = fan_out(engine_jobs(settings, roster, ("images", "build", *images, JSON)),
                           lambda job: summarize(job, runner(job)), per_engine=1)
        broken = {outcome.engine: f"images: {outcome.detail}"
                  for outcome in prepared if not outcome.ok}
    jobs = [Job(student.name, roster.engine_of(student), (*args, JSON),
                child_environment(student_settings(settings, student.name),
                                  environments[roster.engine_of(student)]))
            for student in roster.students if roster.engine_of(student) not in broken]
    phase(" ".join(("lab", *args)))
    ran = {outcome.student: outcome for outcome in fan_out(
        jobs, lambda job: summary(job, runner(job)), per_engine=per_engine, done=done)}
    outcomes = []
    for student in roster.students:
        engine = roster.engine_of(student)
        if engine in broken:
            outcome = Outcome(student.name, engine, False, FAILED, broken[engine])
            done(outcome)
            outcomes.append(outcome)
        else:
            outcomes.append(ran[student.name])
    return outcomes


def prepare(settings: Settings, roster: Roster, bundle: Path | None, *, runner: Runner,
            done: Done = lambda _: None) -> list[Outcome]:
    """On every engine at once: load the bundle (or build the images), then say which of
    the lab's images the engine has and which it lacks. One outcome per engine."""
    first_step = (("images", "load", str(bundle.resolve()), JSON) if bundle
                  else ("images", "build", JSON))

    def on_engine(job: Job) -> Outcome:
        made = runner(replace(job, args=first_step))
        listed = runner(replace(job, args=("images", "list", JSON)))
        present = _current_images(listed)
        missing = [name for name in LAB_IMAGES if name not in present]
        if made.exit_code != 0 or listed.exit_code != 0 or missing:
            reason = failure(made if made.exit_code else listed) if (
                made.exit_code or listed.exit_code) else ""
            detail = "; ".join(part for part in (
                f"missing: {', '.join(missing)}" if missing else "", reason) if part)
            return Outcome("", job.engine, False, FAILED, detail)
        return Outcome("", job.engine, True, OK, f"{', '.join(LAB_IMAGES)} present")

    return fan_out(engine_jobs(settings, roster, ()), on_engine, per_engine=1, done=done)


def _current_images(listed: Completed) -> set[str]:
    """The lab's images `lab images list --json` says are current."""
    if listed.exit_code != 0:
        return set()
    rows = _rows(listed)
    return {str(row["name"]) for row in rows
            if isinstance(row, dict) and row.get("status") == "current" and "name" in row}


def _rows(completed: Completed) -> list[object]:
    """The rows of a command that answers with a JSON list (`lab images list --json`)."""
    try:
        rows = json.loads(completed.stdout)
    except ValueError:
        return []
    return rows if isinstance(rows, list) else []
