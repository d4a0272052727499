"""`lab images ...`: list, build, bootstrap, save, load and prune the lab's own images;
list and prune the learner's."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lab.cli import answers, invocation
from lab.errors import StateError
from lab.images import builder, definitions
from lab.images.builder import BuildListener, BuildResult

# rich (through lab.console) and the engine's modules are imported by the commands that use
# them, so that `lab --help` stays fast.
if TYPE_CHECKING:
    from lab.console import Tasks
    from lab.images.definitions import ImageSpec
    from lab.images.inventory import MyImageRow

app = typer.Typer(help="The lab's own images (build them, move them offline), and yours.",
                  no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command("list")
def list_images(
    as_json: JsonOption = False,
    mine: Annotated[bool, typer.Option(
        "--mine", help="Only your own images, made by `lab build`.")] = False,
) -> None:
    """List the lab's images on this engine, then your own (`lab build`)."""
    from lab import console
    from lab.images import inventory

    with answers.answering(as_json):
        if mine:
            _list_mine(inventory.my_rows(invocation.settings()), as_json)
            return
        rows = inventory.rows()
        if as_json:  # the lab's images only, as ever: `--mine --json` gives yours
            answers.write([row.__dict__ for row in rows])
            return
        my_rows = inventory.my_rows(invocation.settings())
    if not rows:
        console.info("No lab images yet. `lab images build` makes them.")
    else:
        console.table(
            ["image", "reference", "id", "created", "size (MB)", "status"],
            [[r.name, r.ref, r.image_id, r.created, r.size_mb, r.status] for r in rows],
            title="The lab's images" if my_rows else None,
        )
    if my_rows:
        _my_table(my_rows)


def _list_mine(rows: list[MyImageRow], as_json: bool) -> None:
    from lab import console

    if as_json:
        answers.write([asdict(row) for row in rows])
    elif rows:
        _my_table(rows)
    else:
        console.info("You have built no images yet: `lab build TAG` builds your workspace.")


def _my_table(rows: list[MyImageRow]) -> None:
    from lab import console

    console.table(
        ["tag", "reference", "id", "exercise", "built at", "version"],
        [[", ".join(r.tags) or f"<untagged> (was {r.built_as or '?'})", r.ref, r.image_id,
          r.exercise, r.built_at, r.version] for r in rows],
        title="Your images",
    )


@app.command()
def build(
    names: Annotated[list[str] | None, typer.Argument(
        help="Images to build (base, server, repo, lb); default all.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if unchanged.")] = False,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="With --force: rebuild every layer from scratch.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the build logs.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Build the lab's images; an image whose build context is unchanged is kept."""
    from lab import console
    from lab.locking import images_lock

    # A class's `lab start`s check the same images on this engine: one builder at a time.
    with answers.answering(as_json), images_lock(invocation.settings(), console.note):
        results = build_images(names, force=force, no_cache=no_cache, verbose=verbose,
                               aside=as_json)
    if as_json:
        answers.write({"images": [{"name": result.name, "ref": result.ref,
                                   "image_id": result.image_id, "outcome": result.outcome.value}
                                  for result in results]})


def build_images(names: list[str] | None, *, force: bool = False, no_cache: bool = False,
                 verbose: bool = False, quiet_when_current: bool = False,
                 aside: bool = False) -> list[BuildResult]:
    """Shared by `lab images build` and by every command that needs the images first; with
    `aside`, what was built is said on stderr (stdout is a JSON document's)."""
    from lab import console

    definitions.select(names)  # an unknown name fails here, before any progress display
    with console.tasks() as tasks:
        results = builder.ensure(names, force=force, no_cache=no_cache,
                                 listener=_Shown(tasks, verbose),
                                 settings=invocation.settings())
    say = console.note if aside else console.success
    for result in results:
        if result.outcome is builder.Outcome.BUILT:
            say(f"{result.ref} built ({result.image_id.removeprefix('sha256:')[:12]})")
    current = all(result.outcome is builder.Outcome.UP_TO_DATE for result in results)
    if current and not quiet_when_current:
        say(f"{len(results)} images up to date")
    return results


def ensure_images(names: list[str]) -> None:
    """What a command that needs the lab's images runs first: those whose build context
    changed are built, and said so; nothing is said when all are current."""
    build_images(names, quiet_when_current=True)


def ensure_images_aside(names: list[str]) -> None:
    """ensure_images for a command answering in JSON: what it built is said on stderr."""
    build_images(names, quiet_when_current=True, aside=True)


class _Shown(BuildListener):
    """Renders a build: one progress bar per image; the logs only with --verbose."""

    def __init__(self, tasks: Tasks, verbose: bool) -> None:
        super().__init__()
        self.tasks = tasks
        self.verbose = verbose

    def note(self, message: str) -> None:
        self.tasks.log(message)

    def start(self, spec: ImageSpec) -> None:
        self.tasks.add(spec.name)
        self.tasks.update(spec.name, status="starting")

    def step(self, spec: ImageSpec, step: int, steps: int, instruction: str, line: str) -> None:
        if self.verbose:
            self.tasks.log(f"{spec.name} | {line}")
        self.tasks.update(spec.name, completed=step, total=steps or None,
                          status=f"step {step}/{steps} {instruction[:60]}")

    def done(self, spec: ImageSpec, result: BuildResult) -> None:
        if result.outcome.value == "built":
            self.tasks.finish(spec.name, "built")


@app.command()
def bootstrap(
    tag: Annotated[str, typer.Option(help="Tag of the imported image.")] = "bookworm",
) -> None:
    """Make the Debian root image offline with debootstrap (Linux, root) and docker import."""
    from lab import console
    from lab.images.bootstrap import bootstrap as run_bootstrap

    ref = run_bootstrap(console.note, invocation.settings(), tag=tag)
    console.success(f"{ref} imported; `lab images build` builds the lab's images on it")


@app.command()
def save(
    file: Annotated[Path, typer.Argument(help="The bundle to write, e.g. lab-images.tar.")],
) -> None:
    """Save every lab image into one tarball with a checksum (for offline classrooms)."""
    from lab import console
    from lab.images import bundle

    console.note(f"saving lab images to {file} ...")
    saved = bundle.save(file, invocation.settings())
    console.success(
        f"saved {len(saved.images)} images ({saved.size / 1e6:.0f} MB, "
        f"sha256 {saved.sha256[:16]}…) to {saved.path}: {', '.join(saved.images)}"
    )


@app.command()
def load(
    file: Annotated[Path, typer.Argument(help="A bundle made by `lab images save`.")],
    as_json: JsonOption = False,
) -> None:
    """Load a bundle made by `lab images save`, after checking its checksum."""
    from lab import console
    from lab.images import bundle

    with answers.answering(as_json):
        loaded = bundle.load(file, console.note)
    if as_json:
        answers.write({"images": loaded.images, "sha256": loaded.sha256})
    else:
        console.success(f"loaded {len(loaded.images)} images: {', '.join(loaded.images)}")


@app.command()
def prune(
    everything: Annotated[bool, typer.Option(
        "--all", help="Remove every lab image, not only stale ones.")] = False,
    mine: Annotated[bool, typer.Option(
        "--mine", help="Remove your own images instead, those no container uses: the ones a "
                       "rebuild left untagged and no deployment ran; with --all every one.")
    ] = False,
) -> None:
    """Remove stale lab images (or all with --all); images the lab did not make, and yours,
    are kept: --mine prunes yours instead."""
    from lab import console
    from lab.images import inventory

    removals = (inventory.prune_mine(invocation.settings(), everything, console.note) if mine
                else inventory.prune(everything))
    for removal in removals:
        if removal.removed:
            console.info(f"removed {removal.ref}")
        else:
            console.warn(f"kept {removal.ref}: {removal.reason}")
    if not removals:
        console.info("nothing to prune")
    if any(not removal.removed for removal in removals):
        if mine:
            raise StateError("some of your images could not be removed",
                             "The lines above say why.")
        raise StateError("some images are still in use",
                         "Stop what uses them (`lab stop`), or remove your own images built "
                         "on them (`lab images prune --mine --all`), then prune again.")
