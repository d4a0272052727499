"""lab.checking's sources: the lab's records turned into what checks read (the deployment
history, the repository's access log, when an image was built)."""

from __future__ import annotations

from datetime import datetime, timezone

from lab.checking.sources import built_at, history_of, parse_access_log
from lab.deploy.state import Deployment, Desired, Event, FleetState
from lab.docker.images import ImageInfo

NOW = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


def test_the_history_keeps_every_deployment_event_and_the_desired_state() -> None:
    state = FleetState(
        desired=Desired(image="lab-learner/app:v2", image_id="sha256:2", servers=("web1",),
                        volumes={"guestbook": "/var/lib/guestbook"}),
        deployments=(Deployment(number=1, image="lab-learner/app:v2", image_id="sha256:2",
                                strategy="blue-green", started_at=NOW, result="succeeded",
                                summary={"failed": 0}),),
        events=(Event(at=NOW, kind="kill", server="web1", container_id="c1"),),
        standby=("c0",))
    history = history_of(state)
    [deployment] = history.deployments
    assert (deployment.number, deployment.kind, deployment.strategy, deployment.result,
            deployment.summary) == (1, "deploy", "blue-green", "succeeded", {"failed": 0})
    assert history.events[0].container_id == "c1"
    assert history.desired is not None and history.desired.volumes == {
        "guestbook": "/var/lib/guestbook"}
    assert history.standby == ("c0",)
    assert history_of(FleetState()).desired is None


def test_the_access_log_is_read_line_by_line_and_a_broken_line_is_left_out() -> None:
    requests = parse_access_log(
        "172.18.0.3 web1 200 /pool/webapp_2.0_all.deb 2026-01-01T12:00:00+00:00\n"
        "garbage\n"
        "172.18.0.4 web2 444 /InRelease not-a-time\n")
    assert [(request.server, request.status, request.path) for request in requests] == [
        ("web1", 200, "/pool/webapp_2.0_all.deb"), ("web2", 444, "/InRelease")]
    assert requests[0].at == NOW and requests[1].at is None
    assert requests[0].delivered and requests[0].is_deb_of("webapp", "2.0")
    assert not requests[0].is_deb_of("webapp", "2.0.1")


def test_an_image_the_lab_built_says_when_as_an_aware_time() -> None:
    def image(labels: dict[str, str]) -> ImageInfo:
        return ImageInfo(id="sha256:1", tags=(), labels=labels, created="", size=0)

    assert built_at(image({"lab.built-at": "2026-01-01T12:00:00"})) == NOW
    assert built_at(image({})) is None
