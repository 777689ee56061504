"""A realistic agency of any size, written in bulk and reproducibly (``manage.py scale_data``).

``build(tickets=…, seed=…, now=…)`` writes companies, contacts, deals, tickets with their stage
history, pauses, notes and SLA due times, portal tasks in every status, the knowledge base and
its deflections, satisfaction surveys, the partner program's accounts and activities, and the
timeline events of all of it (already processed). See ``build`` for how it grows block by block
and ``writer`` for how rows are written (COPY on PostgreSQL).
"""

from .build import ScaleError, Summary, analyze, build, default_now
from .reference import BLOCK, Sizes

__all__ = ["BLOCK", "ScaleError", "Sizes", "Summary", "analyze", "build", "default_now"]
