"""The immutable way: `lab build`, `lab deploy`, `lab rollback`, `lab history`, `lab chaos`
and `lab reconcile`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lab.cli import invocation
from lab.errors import UsageError

# The services (and rich, through lab.console and the views) are imported by the commands that
# use them: they load pydantic and rich, and `lab --help` must not.
if TYPE_CHECKING:
    from lab.deploy.strategy_table import Run
    from lab.deploy.under_traffic import Measured
    from lab.docker.images import BuildProgress


def build(
    tag: Annotated[str, typer.Argument(help="The image's tag, like v2.")] = "latest",
    file: Annotated[str | None, typer.Option(
        "--file", "-f", help="The Dockerfile in your workspace (default: Dockerfile).")] = None,
    build_arg: Annotated[list[str] | None, typer.Option(
        "--build-arg", metavar="NAME=VALUE", help="A build argument; repeat for more.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Build every step afresh.")] = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1 when the smoke test fails, as a CI pipeline would.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the build log.")] = False,
) -> None:
    """Build your workspace's Dockerfile into an image (lab-<you>/app:TAG), then smoke-test it."""
    from lab import console, learner
    from lab.deploy import builds, smoke

    arguments = _build_args(build_arg or [])  # a typo is reported before anything else
    settings = invocation.settings()
    exercise = learner.current(settings)
    builds.check_dockerfile(settings, exercise, file)  # before the progress display opens
    with console.tasks(transient=True) as tasks:
        tasks.add("build")

        def shown(progress: BuildProgress) -> None:
            if verbose:
                tasks.log(f"build | {progress.line}")
            tasks.update("build", completed=progress.step, total=progress.steps or None,
                         status=f"step {progress.step}/{progress.steps} "
                                f"{progress.instruction[:60]}")

        built = builds.build(settings, exercise, tag, dockerfile=file, build_args=arguments,
                             no_cache=no_cache, on_progress=shown)
    console.success(f"built {built.ref} ({built.image_id.removeprefix('sha256:')[:12]}) "
                    f"in {built.seconds:.1f} s")
    result = smoke.run(settings, exercise.id, built.image_id)
    if result.healthy:
        console.success(f"smoke test: a container of {built.ref} {result.detail} on /health")
        return
    console.warn(f"smoke test failed: a container of {built.ref}: {result.detail}; deploying "
                 "it would stop at the first server")
    if strict:
        raise typer.Exit(1)


def _build_args(options: list[str]) -> dict[str, str]:
    arguments = {}
    for option in options:
        name, equals, value = option.partition("=")
        if not equals or not name:
            raise UsageError(f"--build-arg {option!r} is not NAME=VALUE",
                             "Write it like --build-arg WEBAPP_VERSION=2.0.")
        arguments[name] = value
    return arguments


StrategyOption = Annotated[str | None, typer.Option(
    "--strategy", help="all-at-once, rolling, rolling-batch, immutable, traffic-split or "
                       "blue-green (exercises with a load balancer; default rolling).")]
RateOption = Annotated[float | None, typer.Option(
    "--rate", min=1, max=1000, help="The probe's requests per second (default 50).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the measurement as JSON.")]
PlotOption = Annotated[Path | None, typer.Option(
    "--plot", help="Draw the measurement into this PNG or SVG file (needs matplotlib).")]


def deploy(
    image: Annotated[str, typer.Argument(
        help="One of your tags (v2), or an image reference or id.")],
    volume: Annotated[list[str] | None, typer.Option(
        "--volume", metavar="NAME:/PATH",
        help="A named volume mounted in every server; {server} in NAME gives each its own. "
             "Kept for later deploys.")] = None,
    strategy: StrategyOption = None,
    batch: Annotated[int, typer.Option(
        "--batch", min=1, help="Servers per batch (rolling, rolling-batch).")] = 1,
    canary: Annotated[int, typer.Option(
        "--canary", min=1, max=99, help="Percent of traffic to the new group (traffic-split).",
    )] = 10,
    evaluate: Annotated[float, typer.Option(
        "--evaluate", min=0, help="Seconds the new group is evaluated (traffic-split).")] = 10.0,
    rate: RateOption = None,
    as_json: JsonOption = False,
    plot: PlotOption = None,
) -> None:
    """Replace every server with a new container from IMAGE, health-checked; behind a load
    balancer, with a strategy, while a probe measures what users see."""
    from lab import console
    from lab.cli import deploy_views
    from lab.deploy import rollout
    from lab.deploy.strategies import STRATEGIES, Options

    volumes = rollout.parse_volumes(volume) if volume else None
    options = Options(strategy, batch, canary, evaluate) if strategy else None
    if options is not None and options.strategy not in STRATEGIES:
        options.checked(1)  # the one line naming the strategies, before anything is done
    show = _shower(as_json, plot, f"lab deploy {image}")
    done = rollout.deploy(invocation.settings(), image,
                          console.note if as_json else console.info,
                          volumes=volumes, options=options, rate=rate, on_measured=show)
    deploy_views.deployed(done, as_json)


def rollback(rate: RateOption = None, as_json: JsonOption = False,
             plot: PlotOption = None) -> None:
    """Deploy again the last image that deployed successfully before the newest one (after a
    blue/green switch: switch back to blue)."""
    from lab import console
    from lab.cli import deploy_views
    from lab.deploy import rollout

    show = _shower(as_json, plot, "lab rollback")
    done = rollout.rollback(invocation.settings(), console.note if as_json else console.info,
                            rate=rate, on_measured=show)
    deploy_views.deployed(done, as_json)


def _shower(as_json: bool, plot: Path | None, title: str) -> Callable[[Measured], None]:
    """What to do with a measured deployment: the summary and timeline, JSON, a drawing."""
    if plot is not None:  # a wrong file name is said before the deployment, not after it
        from lab.deploy.plot import check_target

        check_target(plot)

    def show(measured: Measured) -> None:
        from lab import console
        from lab.cli import deploy_views
        from lab.deploy import plot as drawing

        deploy_views.measured(measured, as_json)
        if plot is not None:
            drawing.plot(measured.record, measured.markers, plot,
                         f"{title}: {measured.title}")
            console.note(f"drawn into {plot}")

    return show


def history(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List this exercise's deployments and rollbacks, oldest first, with what runs now."""
    from lab import console, learner
    from lab.cli import deploy_views
    from lab.deploy.state import StateStore

    settings = invocation.settings()
    exercise = learner.current(settings)
    state = StateStore.of(settings, exercise.id).load()
    if as_json:
        console.raw(state.model_dump_json(indent=2) + "\n")
        return
    deploy_views.history(state, exercise.id)


def chaos(
    kill: Annotated[int, typer.Option(
        "--kill", min=0, help="Kill and remove N random servers (terminated instances).")] = 0,
    stop: Annotated[int, typer.Option(
        "--stop", min=0, help="Stop N random servers (crashed machines).")] = 0,
    edit: Annotated[list[str] | None, typer.Option(
        "--edit", metavar="SERVER", help="Change SERVER by hand; repeat for more.")] = None,
    random_fault: Annotated[bool, typer.Option(
        "--random", help="One fault of a random kind on a random server.")] = False,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Pick the same victims as an earlier run with this seed.")] = None,
) -> None:
    """Chaos Monkey: kill, stop or hand-edit servers; `lab reconcile` repairs them."""
    from lab import console, fleet, learner
    from lab.deploy import chaos as monkey

    settings = invocation.settings()
    if not (kill or stop or edit or random_fault):
        raise UsageError("say which fault", "Add --kill N, --stop N, --edit SERVER or --random.")
    exercise = learner.current(settings)
    running = [fleet.server_name(info) for info in fleet.servers(settings, exercise.id)
               if info.running]
    chosen_seed = seed if seed is not None else monkey.new_seed()
    plan = monkey.choose(running, chosen_seed, kill=kill, stop=stop, edit=edit or [],
                         random_fault=random_fault)
    caused = monkey.unleash(settings, plan, chosen_seed, console.info)
    if kill or stop or random_fault:
        console.note(f"{caused} fault{'s' if caused != 1 else ''} with seed {chosen_seed}: "
                     f"`--seed {chosen_seed}` picks the same servers again")


def reconcile(
    watch: Annotated[bool, typer.Option(
        "--watch", "-w", help="Keep reconciling until Ctrl-C, showing each repair.")] = False,
    no_drift: Annotated[bool, typer.Option(
        "--no-drift", help="Skip drift: only missing, stopped and wrong servers.")] = False,
    drift_every: Annotated[float, typer.Option(
        "--drift-every", min=0.5, help="With --watch: seconds between drift scans.")] = 5.0,
    duration: Annotated[float | None, typer.Option(
        "--for", min=0.1, help="With --watch: stop after this many seconds.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the repairs as JSON.")] = False,
    max_age: Annotated[str | None, typer.Option(
        "--max-age", metavar="DURATION",
        help="Also replace, one at a time, every server older than DURATION (90s, 10m, 2h): "
             "a phoenix fleet's rotation.")] = None,
) -> None:
    """Make the fleet match the desired state: missing servers made, wrong ones replaced;
    with --max-age, old ones too."""
    from lab import console
    from lab.deploy.reconcile import POLL_SECONDS, Reconciler, parse_age

    oldest = parse_age(max_age) if max_age is not None else None  # before anything is done
    loop = Reconciler.current(invocation.settings(), console.info)
    if not watch:
        repairs = loop.once(check_drift=not no_drift)
        if oldest is not None:
            repairs += loop.rotate(oldest)
        if as_json:
            console.raw(json.dumps([repair.__dict__ for repair in repairs], indent=2) + "\n")
        elif not repairs:
            younger = f", and no server is older than {max_age}" if max_age else ""
            console.success(f"the fleet matches the desired state{younger}; nothing to do")
        return
    drift_text = "never for drift" if no_drift else f"every {drift_every:g} s for drift"
    age_text = f", and for servers older than {max_age}" if max_age else ""
    console.note(f"watching {loop.exercise.id}: every {POLL_SECONDS:g} s for missing, stopped "
                 f"or wrong servers{age_text}, {drift_text}; Ctrl-C ends it")
    try:
        repairs_made = loop.watch(drift_every=drift_every if not no_drift else float("inf"),
                                  stop_after=duration, max_age=oldest)
    except KeyboardInterrupt:
        console.note("stopped watching")
        return
    console.note(f"stopped watching after {duration:g} s; {repairs_made} repairs")


def compare(
    old: Annotated[str, typer.Option(
        "--from", help="The image every run starts from (the fleet is brought back to it).",
    )] = "v1",
    good: Annotated[str, typer.Option("--good", help="The good release.")] = "v2",
    bad: Annotated[str, typer.Option(
        "--bad", help="The bad release (its health check fails).")] = "v3",
    rate: RateOption = None,
    evaluate: Annotated[float, typer.Option(
        "--evaluate", min=0, help="Seconds traffic splitting evaluates the new group.")] = 10.0,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print every measurement, both tables and the flags as JSON.")] = False,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Draw each run into this directory, one PNG per run (needs matplotlib).",
    )] = None,
) -> None:
    """Deploy a good and a bad release with every strategy, measured, and print the measured
    table beside AWS's, flagging each row where they disagree (takes minutes)."""
    from lab import console
    from lab.cli import deploy_views
    from lab.deploy import compare as comparing

    plan = comparing.Plan(old, good, bad, rate, evaluate)
    on_measured = _drawer(plot) if plot is not None else None
    done = comparing.run(invocation.settings(), plan, deploy_views.compare_progress,
                         lambda _: None, on_measured)
    if as_json:
        console.raw(json.dumps(done.as_json(), indent=2) + "\n")
        return
    deploy_views.compare_tables(done)


def _drawer(directory: Path) -> Callable[[Run, Measured], None]:
    def draw(run: Run, measured: Measured) -> None:
        from lab import console
        from lab.deploy import plot as drawing

        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{run.strategy}-{run.release.replace(' ', '-')}.png"
        drawing.plot(measured.record, measured.markers, path, f"{run.strategy}: {run.release}")
        console.note(f"drawn into {path}")

    return draw
