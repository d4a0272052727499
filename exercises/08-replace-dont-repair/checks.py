"""Custom check of 08-replace-dont-repair: no server has changed since it was started from its
image. (That every server runs one image the learner built is a `same-image` check.)"""

from __future__ import annotations

from lab.authoring import CheckContext, Verdict, failed, passed


def no_server_drifted(ctx: CheckContext) -> list[Verdict]:
    """`lab drift` finds nothing: every server is exactly its image."""
    drifted = [drift for drift in ctx.drift() if not drift.identical]
    if not drifted:
        their = "its" if len(ctx.servers) == 1 else "their"
        return [passed(f"{', '.join(ctx.servers)}: no change since {their} image "
                       "(`lab drift` finds nothing)")]
    return [failed(f"{drift.server}: {drift.count_text} since its image: {drift.how}")
            for drift in drifted]
