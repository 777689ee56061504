"""HubSpot CSV import: parse, map, validate every row, then upsert by Record ID.

The flow, one service per step:

``import_create`` (upload, synchronous)
    Reads the file, maps its columns and validates every row. The job is READY (the file is
    kept for the run) or INVALID (every bad row listed; the file is not kept). Problems that
    stop us from reading the file at all (empty, too large, not text, no recognisable
    columns) raise a DomainError for the upload form instead.
``import_confirm``
    READY -> QUEUED; the ``run_import`` task (passed in by the caller) is enqueued after commit.
``import_run`` (the task)
    QUEUED -> RUNNING, claimed under ``select_for_update`` so a retried or duplicated task is a
    no-op. Phase 1 re-validates the file (data may have changed since the preview) in batches
    of ``BATCH_SIZE`` rows, outside any transaction, writing ``processed_rows`` after each
    batch: that is the progress users see. Phase 2 writes every row in ONE transaction
    (all-or-nothing) and marks the job DONE in that same transaction. A transaction's own
    writes are invisible to other connections until commit (and on SQLite a second writer
    would wait on the first), so progress is reported from the prepare phase; during the
    short write phase the page says "Saving…".

Rows are matched by HubSpot Record ID (``hubspot_record_id``). New records are created through
the CRM services (their ``*.created`` events feed automations) plus a ``record.imported``
timeline event; an existing record is only written when a value actually changes, with one
``record.import_updated`` event listing the changes; a deal whose stage changes is moved with
``deal_move`` (which enforces the stage's requirements and records the stage change).
Empty cells never clear existing values (as in HubSpot's own import).

The modules, in the order a file goes through them: ``files`` (read the bytes), ``mapping``
(columns to fields), ``cells`` (one cell to one value), ``context`` (what rows are checked
against), ``validation`` (every row, writing nothing), ``jobs`` (the services above).
"""

from .files import CsvFile, decode_csv, read_csv
from .jobs import import_confirm, import_create, import_jobs_for, import_run
from .mapping import IMPORT_TYPES, Column, detect_object_type, map_columns, mapping_rows
from .validation import Prepared, RowPlan, prepare

__all__ = [
    "IMPORT_TYPES",
    "Column",
    "CsvFile",
    "Prepared",
    "RowPlan",
    "decode_csv",
    "detect_object_type",
    "import_confirm",
    "import_create",
    "import_jobs_for",
    "import_run",
    "map_columns",
    "mapping_rows",
    "prepare",
    "read_csv",
]
