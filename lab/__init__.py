"""immutable-lab: a local lab for learning immutable infrastructure."""

__version__ = "0.1.0"
