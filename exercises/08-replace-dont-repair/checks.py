"""Custom checks of 08-replace-dont-repair: web3's hand fix is in the image every server runs
(the learner found it and baked it in), and no server has changed since it was started from
its image. (That every server runs one image the learner built is a `same-image` check.)"""

from __future__ import annotations

import re

from lab.authoring import CheckContext, CheckError, Host, Verdict, failed, passed

# The hand edit of exercise.yaml's `hand-edit` fault: during the outage someone raised
# web3's workers from 2 to 8, and the team wants it kept.
CONFFILE = "/etc/webapp/webapp.conf"
SETTING = "workers"
FIXED = "8"
FIXED_ON = "web3"
ASSIGNMENT = re.compile(rf"^\s*{SETTING}\s*=\s*(\S+)", re.MULTILINE)


def every_server_has_the_fix(ctx: CheckContext) -> Verdict:
    """Every server's webapp.conf sets workers = 8: web3's fix, now in the image."""
    values = dict(zip(ctx.servers, ctx.each(setting_of), strict=True))
    lacking = [server for server, value in values.items() if value != FIXED]
    if not lacking:
        return passed(f"{', '.join(ctx.servers)}: {SETTING} = {FIXED} in {CONFFILE}, "
                      f"{FIXED_ON}'s fix, on every server")
    found = "; ".join(f"{server}: {describe(values[server])}" for server in lacking)
    return failed(f"{found}. {FIXED_ON}'s fix from the outage ({SETTING} = {FIXED} in "
                  f"{CONFFILE}) is not on every server: replacing a server throws away what "
                  "was done to it by hand, so a fix worth keeping belongs in the image. Set "
                  "it in your Dockerfile, then `lab build v2` and `lab deploy v2`")


def setting_of(host: Host) -> str | None:
    """The value webapp reads for `workers` on the server (its last assignment); None when
    the file or the setting is missing."""
    try:
        content = host.file(CONFFILE).content
    except CheckError:
        return None
    assignments = ASSIGNMENT.findall(content)
    return assignments[-1] if assignments else None


def describe(value: str | None) -> str:
    return f"{SETTING} = {value}" if value is not None else f"no {SETTING} in {CONFFILE}"


def no_server_drifted(ctx: CheckContext) -> list[Verdict]:
    """`lab drift` finds nothing: every server is exactly its image."""
    drifted = [drift for drift in ctx.drift() if not drift.identical]
    if not drifted:
        their = "its" if len(ctx.servers) == 1 else "their"
        return [passed(f"{', '.join(ctx.servers)}: no change since {their} image "
                       "(`lab drift` finds nothing)")]
    return [failed(f"{drift.server}: {drift.count_text} since its image: {drift.how}")
            for drift in drifted]
