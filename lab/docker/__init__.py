"""The one package that talks to the Docker engine: the engine (engine), labels, images,
containers, networks and volumes, archives, diffs and probe shells.

`lab.docker.engine.current()` is the process's engine, made once from DOCKER_HOST and its
TLS settings; the other modules use it through `client()` and `api()`. Only lab.docker.sdk
imports docker-py, and only when a client is first made: every module here can be imported
at the top of another without slowing `lab --help`.
"""
