"""Every report's module; importing this package registers them all (see registry.py)."""

from . import (
    client_work,  # noqa: F401
    most_requested,  # noqa: F401
    satisfaction,  # noqa: F401
    self_serve,  # noqa: F401
    sla_compliance,  # noqa: F401
    time_in_stage,  # noqa: F401
    workload,  # noqa: F401
)
