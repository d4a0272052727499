"""`lab docs`: serve the tutorial site on 127.0.0.1, building it first if its sources changed."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from lab.cli import invocation
from lab.docs import DEFAULT_PORT, site_url


def docs(
    port: Annotated[int, typer.Option(
        "--port", "-p", min=1, max=65535, help="The port on 127.0.0.1 to serve on.")
    ] = DEFAULT_PORT,
    no_browser: Annotated[bool, typer.Option(
        "--no-browser", help="Do not open a browser; just print the address.")] = False,
) -> None:
    """Serve the tutorial site on 127.0.0.1 until Ctrl-C, rebuilding it if it changed."""
    import webbrowser

    from lab import console  # rich, the web server and mkdocs: only for this command
    from lab.docs.serve import prepare, serve

    started = time.monotonic()
    server, site = prepare(invocation.settings(), port)
    if site.built:
        console.note(f"built the tutorial site in {time.monotonic() - started:.1f} s")
    url = site_url(port)
    console.success(f"The tutorial is at {url} (Ctrl-C stops it).")
    if not no_browser and not webbrowser.open(url):
        console.note(f"no browser could be opened here; open {url} yourself")
    serve(server, lambda: console.info("Stopped serving the tutorial."))
