"""The background tasks' log, summarised (``LOGGING`` sends the ``django.tasks`` logger here).

Django logs two lines per task (started, finished) and a worker turns them on at its default
verbosity; ``manage.py serve`` (and ``make demo``) runs the worker in the terminal of the web
server, so every page that sends an email or records an event buried the request log under
task lines. This handler writes instead:

- **one line per failed task** (its path, id and the error; the traceback stays on the task's
  row, see Settings → Workers), at once;
- **one summary line** every ``every`` seconds while tasks run ("12 background tasks
  finished in the last 60 s"), nothing when idle.

``every=0`` writes a line per finished task instead (``PARTNERDESK_TASK_LOG_SUMMARY_SECONDS=0``).
"""

from __future__ import annotations

import logging
import sys
import threading


def _status(record: logging.LogRecord) -> str:
    """The task's state in django.tasks' "Task id=%s path=%s state=%s" records, else ""."""
    args = record.args if isinstance(record.args, tuple) else ()
    if len(args) == 3 and str(record.msg).startswith("Task id="):
        return str(getattr(args[2], "value", args[2]))
    return ""


class TaskLogSummary(logging.Handler):
    def __init__(self, every: float = 60.0, stream=None) -> None:
        super().__init__()
        self.every = float(every)
        self.stream = stream
        self.finished = 0
        self.timer: threading.Timer | None = None
        self.counts = threading.Lock()

    def _write(self, line: str) -> None:
        stream = self.stream or sys.stderr
        self.acquire()
        try:
            stream.write(line + "\n")
            stream.flush()
        finally:
            self.release()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            status = _status(record)
            if record.levelno >= logging.WARNING:
                self._write(self._one_line(record, status))
            elif status == "SUCCESSFUL":
                self._count(record)
            # "RUNNING" (a task started) and debug lines ("enqueued") are not written.
        except Exception:
            self.handleError(record)

    def _one_line(self, record: logging.LogRecord, status: str) -> str:
        if status == "FAILED":
            task_id, path = record.args[0], record.args[1]  # type: ignore[index]
            line = f"Background task failed: {path} (id {task_id})"
        else:
            line = record.getMessage().splitlines()[0]
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            detail = str(error).strip().splitlines()
            line += f": {type(error).__name__}" + (f": {detail[0]}" if detail else "")
        return line

    def _count(self, record: logging.LogRecord) -> None:
        if self.every <= 0:
            self._write(record.getMessage())
            return
        with self.counts:
            self.finished += 1
            if self.timer is None:
                self.timer = threading.Timer(self.every, self.summarise)
                self.timer.daemon = True
                self.timer.start()

    def summarise(self) -> None:
        with self.counts:
            finished, self.finished, self.timer = self.finished, 0, None
        if finished:
            plural = "task" if finished == 1 else "tasks"
            self._write(f"{finished} background {plural} finished in the last {self.every:g} s")

    def close(self) -> None:
        with self.counts:
            timer = self.timer
        if timer is not None:
            timer.cancel()
            self.summarise()
        super().close()
