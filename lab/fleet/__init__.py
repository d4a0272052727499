"""An exercise's fleet on the engine: the containers it should have (specs), brought to that
state (convergence), found (members), looked at by checks (executor) and taken down
(teardown), all through a FleetEngine (engine) that tests replace with a fake.

The names other modules use are re-exported here: `from lab import fleet`, `fleet.servers`.
"""

from lab.fleet.convergence import Converged, converge
from lab.fleet.executor import FleetExecutor, parse_engine_time
from lab.fleet.members import (
    fleet_containers,
    load_balancer,
    pick,
    server_name,
    servers,
    sync_balancer,
    targets,
)
from lab.fleet.specs import (
    IMAGE_NAME_LABEL,
    REPO_ROLE,
    SERVER_ROLE,
    Names,
    balancer_spec,
    desired,
    image_ref,
    lab_images_needed,
    server_spec,
)
from lab.fleet.teardown import PARALLEL, forget_deployments, remove_everything, stop

__all__ = [
    "IMAGE_NAME_LABEL", "PARALLEL", "REPO_ROLE", "SERVER_ROLE", "Converged", "FleetExecutor",
    "Names", "balancer_spec", "converge", "desired", "fleet_containers", "forget_deployments",
    "image_ref", "lab_images_needed", "load_balancer", "parse_engine_time", "pick",
    "remove_everything", "server_name", "server_spec", "servers", "stop", "sync_balancer",
    "targets",
]
