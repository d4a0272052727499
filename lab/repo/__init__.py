"""The lab's APT repository: package sources, .debs built in a container, publishing, faults.

Import its modules directly (`from lab.repo import build`): importing `lab.repo.specs` for
exercise.yaml must not pay for docker-py.
"""
