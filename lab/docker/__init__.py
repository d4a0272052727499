"""The one package that imports docker: engine, labels, images, networks, containers.

Import its modules directly (`from lab.docker import images`); this file stays empty so
that importing `lab.docker.labels` does not pay for importing docker-py.
"""
