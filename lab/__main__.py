"""`python -m lab` runs the same CLI as the `lab` command."""

from lab.cli import main

main()
