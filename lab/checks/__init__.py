"""Check kinds behind a registry: each judges one aspect of the servers through an executor.

Import what you need from the submodules: `executor` (the interface checks read state
through), `base` (results), `runner` (`run_checks`), `registry` (kind name -> class).
This file stays empty so that `lab.exercises.schema` can import `lab.checks.specs`
without pulling every check kind in.
"""
