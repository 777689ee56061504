"""Every report's module; importing this package registers them all (see registry.py)."""

from . import (
    client_work,  # noqa: F401
    workload,  # noqa: F401
)
