"""Check kinds behind a registry: each judges one aspect of the servers through an executor.

Import what you need from the submodules: `executor` (the interface checks read servers
through), `host` (a server with testinfra-style modules), `context` (what a check is given,
and the sources lab.checking fills it from), `records` and `views` (what checks may read of
the lab), `base` (results), `runner` (`run_checks`), `registry` (kind name -> class).
Exercise authors use none of these directly: lab.authoring is their API.
This file stays empty so that `lab.exercises.schema` can import `lab.checks.specs`
without pulling every check kind in.
"""
