"""The `deployment` check: the exercise's deployment history holds a deployment like the one
exercise.yaml describes (maybe after another one), as `lab history` shows it, and the volumes
the fleet keeps its data in, if any."""

from __future__ import annotations

from collections.abc import Sequence

from lab.checks.base import AllServersCheck, CheckResult, with_remedy
from lab.checks.executor import Executor
from lab.checks.records import Deployment, History
from lab.checks.specs import DeploymentMatch, DeploymentSpec

ACTIONS = {None: "deployment", "deploy": "deployment", "rollback": "rollback",
           "reconcile": "reconcile pass"}
RESULTS = {"succeeded": "successful", "failed": "failed"}


def matches(item: Deployment, match: DeploymentMatch) -> bool:
    return ((match.action is None or item.kind == match.action)
            and (match.strategy is None or item.strategy == match.strategy)
            and item.result == match.result)


def wanted(match: DeploymentMatch) -> str:
    """'a successful rollback with strategy switch back', as a learner reads it."""
    strategy = f" with strategy {match.strategy}" if match.strategy else ""
    return f"{RESULTS[match.result]} {ACTIONS[match.action]}{strategy}"


def told(item: Deployment) -> str:
    """'#3 (lab-learner/app:v2, 1a2b3c4d5e6f): rollback (switch back), succeeded'."""
    return f"{item.named}: {item.kind} ({item.strategy}), {item.result}"


def kept_in(history: History) -> str:
    """'; the fleet runs lab-learner/app:v1 with the volume guestbook:/var/lib/guestbook', as
    the learner gave it to `lab deploy --volume`, when the desired state has volumes: that
    the data lives outside the servers is often the lesson."""
    desired = history.desired
    if desired is None or not desired.volumes:
        return ""
    plural = "s" if len(desired.volumes) > 1 else ""
    volumes = ", ".join(f"{name}:{path}" for name, path in desired.volumes.items())
    return f"; the fleet runs {desired.image} with the volume{plural} {volumes}"


class DeploymentCheck(AllServersCheck[DeploymentSpec]):
    """Read the history once; one verdict on the whole fleet, naming the deployment."""

    def check_all(self, executor: Executor, servers: Sequence[str]) -> list[CheckResult]:
        spec, history = self.spec, self.context.history()
        since = ""
        if spec.since == "start":
            history, since = history.since(self.context.started_at), " since the servers started"
        candidates = history.deployments
        before: Deployment | None = None
        if spec.after is not None:
            before = next((item for item in reversed(candidates) if matches(item, spec.after)),
                          None)
            if before is None:
                return self._failed(f"no {wanted(spec.after)}{since}", candidates)
            candidates = tuple(item for item in candidates if item.number > before.number)
        found = next((item for item in reversed(candidates) if matches(item, spec)), None)
        if found is None:
            after = f" after {before.named}" if before else since
            return self._failed(f"no {wanted(spec)}{after}", candidates)
        following = f", after {told(before)}" if before else ""
        return [self.verdict(True, f"{told(found)}{following}{kept_in(history)}")]

    def _failed(self, missing: str, seen: Sequence[Deployment]) -> list[CheckResult]:
        last = f" (the last: {told(seen[-1])})" if seen else ""
        return [self.verdict(False, with_remedy(missing + last, self.spec.remedy))]
