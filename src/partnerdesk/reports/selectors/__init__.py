"""Every report's module; importing this package registers them all (see registry.py)."""

from . import workload  # noqa: F401
