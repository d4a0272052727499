"""Class-wide operations over a roster: each student's `lab` command runs in a process of its
own, on that student's engine; engines are worked on at once, a few students at a time on
each, and one student's failure never stops the others.

A process per student, rather than threads in this one: the engine client is made once per
process from DOCKER_HOST (lab.docker.engine), so a process talks to exactly one engine, and a
student's command runs exactly as the student's own `lab --student NAME ...` would. The
processes are forked from a warm one (lab.warm), so thirty students do not import the lab
thirty times.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab import warm
from lab.errors import StateError, UsageError
from lab.settings import Settings, check_student

if TYPE_CHECKING:
    import yaml

    from lab.progress import ExerciseProgress, Progress

CLASS_FILE = "class.yaml"
LOCAL = "local"  # a student the roster gives no engine: the instructor's own DOCKER_HOST
CONTEXT = "context:"
SCHEMES = ("unix://", "tcp://", "ssh://", "npipe://")
CONTEXT_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$")
PER_ENGINE = 8  # students whose command runs at once on one engine
LAB_IMAGES = ("root", "base", "server", "repo", "lb")  # what `lab images list` should show

DONE, IN_PROGRESS, NOT_STARTED = "done", "in progress", "not started"
OK, FAILED, PASSED, NOT_PASSED = "ok", "failed", "passed", "not passed"


# --- the roster -------------------------------------------------------------------------


@dataclass(frozen=True)
class Student:
    name: str
    engine: str | None = None  # as the roster writes it; None: the roster's default
    line: int = field(default=0, compare=False)  # where the roster names the student


@dataclass(frozen=True)
class Roster:
    """The students of a class, each on an engine: a DOCKER_HOST URL or `context:NAME`."""

    students: tuple[Student, ...]
    engine: str | None = None  # the default for students without one of their own

    def engine_of(self, student: Student) -> str:
        return student.engine or self.engine or LOCAL

    def names(self) -> list[str]:
        return [student.name for student in self.students]

    def only(self, names: Sequence[str]) -> Roster:
        """The students named (all when none are); UsageError for a name not in the class."""
        if not names:
            return self
        unknown = [name for name in names if name not in self.names()]
        if unknown:
            raise UsageError(f"{unknown[0]!r} is not in the class",
                             "`lab class status` lists the class; `lab class init` changes it.")
        return replace(self, students=tuple(s for s in self.students if s.name in names))

    def by_engine(self) -> dict[str, list[Student]]:
        """The students of each engine, engines in the order the roster first names them."""
        groups: dict[str, list[Student]] = {}
        for student in self.students:
            groups.setdefault(self.engine_of(student), []).append(student)
        return groups

    def to_yaml(self) -> str:
        import yaml

        document: dict[str, Any] = {"engine": self.engine} if self.engine else {}
        document["students"] = [{"name": s.name, **({"engine": s.engine} if s.engine else {})}
                                for s in self.students]
        header = "# The class, saved by `lab class init`; run it again to change the class.\n"
        return header + yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def load_roster(path: Path) -> Roster:
    """A roster file: names one a line (`#` comments), or YAML (`students:` and `engine:`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"the roster {path} does not exist",
                         "Give a file of student names, one a line.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the roster {path}: {getattr(exc, 'strerror', exc)}",
                         "Give a text file of student names, one a line.") from None
    if path.suffix in (".yaml", ".yml") or any(":" in _uncommented(line)
                                               for line in text.splitlines()):
        return parse_yaml(text, str(path))
    return parse_plain(text, str(path))


def _uncommented(line: str) -> str:
    return line.split("#", 1)[0].strip()


def parse_plain(text: str, where: str) -> Roster:
    students = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = _uncommented(raw)
        if not line:
            continue
        if len(line.split()) > 1:
            raise _bad(where, number, f"{line!r} is more than one name",
                       "Put one student name on each line; a YAML roster gives students engines.")
        students.append(_student(line, None, where, number))
    return _roster(students, None, where)


def parse_yaml(text: str, where: str) -> Roster:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise _bad(where, mark.line + 1 if mark else 1, f"not valid YAML: {problem}",
                   "Fix the YAML, or give a plain file of names, one a line.") from None
    if not isinstance(root, yaml.MappingNode):
        raise _bad(where, _line(root), "a YAML roster is a mapping with a `students:` list",
                   "Write `students:` and under it `- name: alice`, optionally `engine: URL`.")
    engine, students_node = None, None
    for key, value in root.value:
        if key.value == "engine":
            engine = _engine(_scalar(value, where, "engine"), where, _line(value))
        elif key.value == "students":
            students_node = value
        else:
            raise _bad(where, _line(key), f"unknown key {key.value!r}",
                       "A roster has `students:` and, optionally, a default `engine:`.")
    if not isinstance(students_node, yaml.SequenceNode):
        raise _bad(where, _line(students_node or root), "`students:` must be a list",
                   "Write `students:` and under it one `- name: NAME` per student.")
    return _roster([_yaml_student(item, where) for item in students_node.value], engine, where)


def _yaml_student(node: yaml.Node, where: str) -> Student:
    import yaml

    if isinstance(node, yaml.ScalarNode):
        return _student(str(node.value), None, where, _line(node))
    if not isinstance(node, yaml.MappingNode):
        raise _bad(where, _line(node), "a student is a name or `{name: NAME, engine: URL}`",
                   "Write `- name: alice` and, optionally, `engine: ssh://user@host`.")
    fields: dict[str, str] = {}
    for key, value in node.value:
        if key.value not in ("name", "engine"):
            raise _bad(where, _line(key), f"unknown key {key.value!r} of a student",
                       "A student has a `name:` and, optionally, an `engine:`.")
        fields[key.value] = _scalar(value, where, key.value)
    if "name" not in fields:
        raise _bad(where, _line(node), "a student without a name",
                   "Give every student a `name:`.")
    return _student(fields["name"], fields.get("engine"), where, _line(node))


def _scalar(node: yaml.Node, where: str, key: str) -> str:
    import yaml

    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise _bad(where, _line(node), f"`{key}:` must be a single value",
                   f"Write `{key}: VALUE` on one line.")
    return str(node.value).strip()


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def _student(name: str, engine: str | None, where: str, line: int) -> Student:
    try:
        check_student(name)
    except UsageError as exc:
        raise _bad(where, line, exc.message, exc.remedy) from None
    return Student(name, _engine(engine, where, line) if engine else None, line)


def _engine(engine: str, where: str, line: int) -> str | None:
    try:
        return check_engine(engine)
    except UsageError as exc:
        raise _bad(where, line, exc.message, exc.remedy) from None


def check_engine(engine: str) -> str | None:
    """A roster's engine as it will be used; None for `local` (the instructor's own)."""
    if engine == LOCAL:
        return None
    if engine.startswith(CONTEXT) and CONTEXT_NAME.match(engine.removeprefix(CONTEXT)):
        return engine
    if any(engine.startswith(scheme) and len(engine) > len(scheme) for scheme in SCHEMES):
        return engine
    raise UsageError(f"{engine!r} is not a Docker engine",
                     "Give a DOCKER_HOST URL (unix://, tcp://, ssh://user@host) or "
                     "context:NAME for a Docker context.")


def _roster(students: list[Student], engine: str | None, where: str) -> Roster:
    first: dict[str, int] = {}
    for student in students:
        if student.name in first:
            raise _bad(where, student.line,
                       f"{student.name} is listed twice (first on line {first[student.name]})",
                       "List each student once.")
        first[student.name] = student.line
    if not students:
        raise UsageError(f"{where}: the roster names no student",
                         "Put one student name on each line.")
    return Roster(tuple(students), engine)


def _bad(where: str, line: int, message: str, remedy: str) -> UsageError:
    return UsageError(f"{where}:{line}: {message}", remedy)


def class_file(settings: Settings) -> Path:
    return settings.home / CLASS_FILE


def save_roster(settings: Settings, roster: Roster) -> Path:
    from lab.files import write_atomically

    for engine in roster.by_engine():
        engine_environment(engine)  # an unknown Docker context fails now, not in class
    path = class_file(settings)
    write_atomically(path, roster.to_yaml())
    return path


def saved_roster(settings: Settings) -> Roster:
    path = class_file(settings)
    if not path.is_file():
        raise StateError("no class is set up on this machine",
                         "Run `lab class init ROSTER` with a file of student names first.")
    return load_roster(path)


# --- engines ----------------------------------------------------------------------------


Environment = Mapping[str, "str | None"]  # None: remove the variable


def engine_environment(engine: str, environ: Mapping[str, str] | None = None) -> Environment:
    """What a student's `lab` process needs in its environment to use `engine`.

    A Docker context is read from the Docker CLI's own files ($DOCKER_CONFIG, by default
    ~/.docker: contexts/meta/<sha256 of the name>/meta.json, and its TLS files beside), so
    neither the docker CLI nor any setting of it is needed.
    """
    if engine == LOCAL:
        return {}
    if not engine.startswith(CONTEXT):
        return {"DOCKER_HOST": engine}
    return _context_environment(engine.removeprefix(CONTEXT), environ or os.environ)


def _context_environment(name: str, environ: Mapping[str, str]) -> Environment:
    unset: dict[str, str | None] = {"DOCKER_HOST": None, "DOCKER_TLS_VERIFY": None,
                                    "DOCKER_CERT_PATH": None}
    if name == "default":  # the engine's own socket, whatever DOCKER_HOST says
        return unset
    config = Path(environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config / "contexts" / "meta" / digest / "meta.json"
    try:
        document = json.loads(meta.read_text(encoding="utf-8"))
        host = document["Endpoints"]["docker"]["Host"]
        skip_verify = bool(document["Endpoints"]["docker"].get("SkipTLSVerify"))
    except FileNotFoundError:
        raise UsageError(f"there is no Docker context {name!r}",
                         "`docker context ls` lists them; `docker context create` makes one.",
                         ) from None
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError(f"the Docker context {name!r} has no Docker endpoint ({meta})",
                         f"Check it with `docker context inspect {name}`.") from None
    environment = {**unset, "DOCKER_HOST": str(host)}
    tls = config / "contexts" / "tls" / digest / "docker"
    if (tls / "ca.pem").is_file() or (tls / "cert.pem").is_file():
        environment["DOCKER_CERT_PATH"] = str(tls)
        environment["DOCKER_TLS_VERIFY"] = "" if skip_verify else "1"
    return environment


# --- fan-out ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One `lab` command: for a student (`lab --student NAME ARGS`), or for an engine."""

    student: str  # "" for a command about the engine itself (`lab images ...`)
    engine: str
    args: tuple[str, ...]
    environment: Environment = field(default_factory=dict)


@dataclass(frozen=True)
class Completed:
    exit_code: int
    stdout: str = ""
    stderr: str = ""


@dataclass(frozen=True)
class Outcome:
    """What one student's (or engine's) command came to, as the final table shows it."""

    student: str
    engine: str
    ok: bool
    result: str  # ok, failed, passed, not passed
    detail: str


Runner = Callable[[Job], Completed]
Summary = Callable[[Job, Completed], Outcome]
Done = Callable[[Outcome], None]


def run_in_process(job: Job) -> Completed:
    """The job as `lab ...` in a process of its own with the engine's environment, forked
    warm (lab.warm) where the platform can, else `python -m lab`; never raises."""
    environment = _environment_of(job)
    arguments = [*(("--student", job.student) if job.student else ()), *job.args]
    if warm.available():
        try:
            return Completed(*warm.run(arguments, environment))
        except (OSError, EOFError) as exc:  # EOFError: the warm process went away
            reason = getattr(exc, "strerror", None) or exc or "the warm process ended"
            return Completed(127, stderr=f"error: cannot run the lab: {reason}")
    return run_cold(arguments, environment)


def run_cold(arguments: Sequence[str], environment: Mapping[str, str]) -> Completed:
    """`python -m lab ARGUMENTS`, started from nothing; never raises."""
    try:
        done = subprocess.run([sys.executable, "-m", "lab", *arguments],
                              capture_output=True, text=True, env=dict(environment),
                              stdin=subprocess.DEVNULL, check=False)
    except OSError as exc:
        return Completed(127, stderr=f"error: cannot run the lab: {exc.strerror or exc}")
    return Completed(done.returncode, done.stdout, done.stderr)


def _environment_of(job: Job) -> dict[str, str]:
    environment = {**os.environ, "COLUMNS": "1000"}  # one line per message, never wrapped
    environment.pop("LAB_STUDENT", None)
    for name, value in job.environment.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return environment


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


def summarize(job: Job, completed: Completed) -> Outcome:
    """ok with the command's last success line, or failed with its error line."""
    if completed.exit_code == 0:
        return Outcome(job.student, job.engine, True, OK, _success_line(completed.stdout))
    return Outcome(job.student, job.engine, False, FAILED, _failure_line(completed))


def summarize_check(job: Job, completed: Completed) -> Outcome:
    """From `lab check --json`: passed, or not passed with the first goal that fails."""
    try:
        document = json.loads(completed.stdout)
        goals = [(str(goal["goal"]), bool(goal["ok"])) for goal in document["goals"]]
        passed = bool(document["passed"])
    except (ValueError, KeyError, TypeError):
        return summarize(job, completed)
    held = f"{sum(ok for _, ok in goals)}/{len(goals)} goals hold"
    if passed:
        return Outcome(job.student, job.engine, True, PASSED, held)
    failing = next((goal for goal, ok in goals if not ok), "")
    return Outcome(job.student, job.engine, False, NOT_PASSED,
                   f"{held}; not yet: {failing}" if failing else held)


def _success_line(stdout: str) -> str:
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    marked = [line.removeprefix("✓").strip() for line in lines if line.startswith("✓")]
    text = (marked or lines or ["done"])[-1]
    return text.split(". ", 1)[0]  # "01-first-fleet is running. Next: ..." -> the first part


def _failure_line(completed: Completed) -> str:
    errors = [line.strip().removeprefix("error:").strip()
              for line in completed.stderr.splitlines() if line.startswith("error:")]
    if errors:
        return errors[-1]
    lines = [line.strip() for line in (completed.stdout + "\n" + completed.stderr).splitlines()
             if line.strip()]
    return lines[-1] if lines else f"exit code {completed.exit_code}"


def run_class(roster: Roster, args: Sequence[str], *, images: Sequence[str] | None = None,
              summary: Summary = summarize, runner: Runner = run_in_process,
              per_engine: int = PER_ENGINE, done: Done = lambda _: None,
              phase: Callable[[str], None] = lambda _: None) -> list[Outcome]:
    """`lab --student NAME ARGS` for every student of the roster, on the student's engine.

    With `images`, those lab images are first made current once on each engine (engines at
    once), so that the students' commands find them so and never build them side by side;
    the students of an engine where that fails fail with its reason, the others go on.
    """
    environments = {engine: engine_environment(engine) for engine in roster.by_engine()}
    broken: dict[str, str] = {}
    if images:
        phase("making the lab's images current on each engine")
        prepared = fan_out([Job("", engine, ("images", "build", *images), environment)
                            for engine, environment in environments.items()],
                           lambda job: summarize(job, runner(job)), per_engine=1)
        broken = {outcome.engine: f"images: {outcome.detail}"
                  for outcome in prepared if not outcome.ok}
    jobs = [Job(student.name, roster.engine_of(student), tuple(args),
                environments[roster.engine_of(student)])
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


def prepare(roster: Roster, bundle: Path | None, *, runner: Runner = run_in_process,
            done: Done = lambda _: None) -> list[Outcome]:
    """On every engine at once: load the bundle (or build the images), then say which of
    the lab's images the engine has and which it lacks. One outcome per engine."""
    first_step = ("images", "load", str(bundle.resolve())) if bundle else ("images", "build")

    def on_engine(job: Job) -> Outcome:
        made = runner(replace(job, args=first_step))
        listed = runner(replace(job, args=("images", "list", "--json")))
        present = _current_images(listed)
        missing = [name for name in LAB_IMAGES if name not in present]
        if made.exit_code != 0 or listed.exit_code != 0 or missing:
            reason = _failure_line(made if made.exit_code else listed) if (
                made.exit_code or listed.exit_code) else ""
            detail = "; ".join(part for part in (
                f"missing: {', '.join(missing)}" if missing else "", reason) if part)
            return Outcome("", job.engine, False, FAILED, detail)
        return Outcome("", job.engine, True, OK, f"{', '.join(LAB_IMAGES)} present")

    jobs = [Job("", engine, (), engine_environment(engine)) for engine in roster.by_engine()]
    return fan_out(jobs, on_engine, per_engine=1, done=done)


def _current_images(listed: Completed) -> set[str]:
    try:
        rows = json.loads(listed.stdout) if listed.exit_code == 0 else []
        return {str(row["name"]) for row in rows if row.get("status") == "current"}
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()


# --- progress of a class ----------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One student's standing in one exercise."""

    state: str  # done, in progress, not started
    last_passed_at: datetime | None = None  # the latest check that passed
    last_check_at: datetime | None = None
    attempts: int = 0


@dataclass(frozen=True)
class Standing:
    """One student's row of the class matrix."""

    student: str
    engine: str
    current: str | None
    cells: dict[str, Cell]
    problem: str = ""  # e.g. the progress file cannot be read

    @property
    def done(self) -> int:
        return sum(cell.state == DONE for cell in self.cells.values())

    def last_pass(self) -> tuple[str, datetime] | None:
        """The exercise whose checks passed most recently, and when."""
        passes = [(found.last_passed_at, exercise_id) for exercise_id, found in self.cells.items()
                  if found.last_passed_at is not None]
        if not passes:
            return None
        moment, exercise_id = max(passes)
        return exercise_id, moment


def standings(home: Path, roster: Roster, exercise_ids: Sequence[str]) -> list[Standing]:
    """Every student's progress, read from their progress files; no engine is asked."""
    rows = []
    for student in roster.students:
        path = Settings(home=home, student=student.name).progress_file
        progress, problem = read_progress(path)
        rows.append(Standing(student.name, roster.engine_of(student), progress.current,
                             {exercise_id: cell(progress, exercise_id)
                              for exercise_id in exercise_ids}, problem))
    return rows


def read_progress(path: Path) -> tuple[Progress, str]:
    """The progress in `path` (empty when there is none), and a problem reading it if any.

    Only read: a broken file is left where it is for the student's own `lab` to recover.
    """
    from pydantic import ValidationError

    from lab.progress import Progress

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Progress(), ""
    except (OSError, UnicodeDecodeError) as exc:
        return Progress(), f"cannot read {path}: {getattr(exc, 'strerror', exc)}"
    try:
        return Progress.model_validate_json(text), ""
    except ValidationError:
        return Progress(), f"{path} is not a progress file the lab can read"


def cell(progress: Progress, exercise_id: str) -> Cell:
    record: ExerciseProgress = progress.of(exercise_id)
    if record.passed:
        state = DONE
    elif record.started_at or record.attempts or progress.current == exercise_id:
        state = IN_PROGRESS
    else:
        state = NOT_STARTED
    return Cell(state, record.last_passed_at or record.passed_at, record.last_check_at,
                record.attempts)


def standings_json(rows: Sequence[Standing], exercise_ids: Sequence[str]) -> dict[str, Any]:
    def stamp(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "exercises": list(exercise_ids),
        "students": [{
            "student": row.student, "engine": row.engine, "current": row.current,
            "done": row.done, "problem": row.problem or None,
            "exercises": {exercise_id: {
                "state": found.state, "last_passed_at": stamp(found.last_passed_at),
                "last_check_at": stamp(found.last_check_at), "attempts": found.attempts,
            } for exercise_id, found in row.cells.items()},
        } for row in rows],
    }


def standings_csv(rows: Sequence[Standing], exercise_ids: Sequence[str]) -> str:
    """One row per student: each exercise's state, then the time its checks last passed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "engine", "done",
                     *(column for exercise_id in exercise_ids
                       for column in (exercise_id, f"{exercise_id} last passed"))])
    for row in rows:
        cells = [row.cells[exercise_id] for exercise_id in exercise_ids]
        writer.writerow([row.student, row.engine, row.done,
                         *(value for found in cells for value in (
                             found.state,
                             found.last_passed_at.isoformat() if found.last_passed_at else ""))])
    return out.getvalue()


# --- a classroom machine between classes ------------------------------------------------


@dataclass(frozen=True)
class EveryoneReset:
    students: list[str]  # those this lab home knows, whose workspaces and progress were reset
    removed: dict[str, int]  # containers, networks and volumes removed on this engine


def known_students(home: Path) -> list[str]:
    folder = home / "students"
    if not folder.is_dir():
        return []
    names = []
    for entry in sorted(folder.iterdir()):
        try:
            names.append(check_student(entry.name))
        except UsageError:
            continue
    return [name for name in names if (folder / name).is_dir()]


def reset_everyone(settings: Settings, *, forget_progress: bool,
                   report: Callable[[str], None]) -> EveryoneReset:
    """`lab reset --all` for every student this lab home knows, then whatever else on this
    engine carries `lab.managed=true` (students of a lost roster, another lab home)."""
    from lab import fleet, lifecycle

    totals: dict[str, int] = {"containers": 0, "networks": 0, "volumes": 0}
    students = known_students(settings.home)
    for name in students:
        done = lifecycle.reset_all(replace(settings, student=name),
                                   forget_progress=forget_progress, report=report)
        for kind, count in done.removed.items():
            totals[kind] = totals.get(kind, 0) + count
    for kind, count in fleet.remove_everything(None).items():
        totals[kind] = totals.get(kind, 0) + count
    return EveryoneReset(students, totals)
