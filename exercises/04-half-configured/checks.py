"""04-half-configured's own check: the version each server's page serves is the version dpkg
says is installed, so no server claims a release its app is not running."""

from __future__ import annotations

from lab.authoring import CheckContext, Host, Verdict, failed, passed

PACKAGE = "webapp"
PORT = 80


def page_matches_package(ctx: CheckContext) -> list[Verdict]:
    """Each server serves, at /version, the webapp version dpkg has installed and configured."""
    return ctx.each(_judge)


def _judge(host: Host) -> Verdict:
    package = host.package(PACKAGE)
    if not package.installed:
        return failed(f"{host.name}: {PACKAGE} is not installed")
    page = host.http("/version", PORT)
    if not page.answered:
        return failed(f"{host.name}: nothing answers GET /version on port {PORT} ({page.error})")
    served = page.body.strip()
    if served != package.version:
        return failed(f"{host.name}: the page serves version {served or 'nothing'}, but dpkg "
                      f"has {PACKAGE} {package.version}, {package.describe()}")
    return passed(f"{host.name}: serves {PACKAGE} {served}, the version dpkg has installed")
