"""Show the background workers' health; exit non-zero when none is alive (for monitoring)."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from partnerdesk.core import workers

NO_WORKER = 1


def seconds(delta: dt.timedelta | None) -> int | None:
    return None if delta is None else int(delta.total_seconds())


def age(delta: dt.timedelta | None) -> str:
    if delta is None:
        return "-"
    total = int(delta.total_seconds())
    if total < 120:
        return f"{total} s"
    if total < 2 * 3600:
        return f"{total // 60} min"
    return f"{total // 3600} h {total % 3600 // 60} min"


class Command(BaseCommand):
    help = (
        "Show each background worker's last heartbeat (stale and stopped ones flagged), the "
        "queue depth (READY task rows), the oldest waiting task's age, the events waiting in "
        "the outbox and the oldest one's age, the RUNNING rows and the "
        "failed and reclaimed counts of the last 24 hours. Exit status: 0 when at least one "
        "worker has sent a heartbeat within the last 4 heartbeat intervals (4 x "
        "PARTNERDESK_WORKER_HEARTBEAT_SECONDS, or --max-age), 1 when no worker has."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-age",
            type=float,
            default=None,
            help="seconds since its last heartbeat within which a worker counts as alive "
            "(default: 4 x PARTNERDESK_WORKER_HEARTBEAT_SECONDS)",
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the status as JSON"
        )

    def handle(self, *args, max_age, as_json, **options):
        status = workers.worker_status()
        within = dt.timedelta(seconds=max_age) if max_age is not None else status.seen_within
        alive = {
            w.heartbeat.worker_id
            for w in status.workers
            if w.state != "stopped" and w.silent_for <= within
        }
        if as_json:
            self.stdout.write(self._json(status, alive))
        else:
            self._text(status, within, alive)
        if not alive:
            raise CommandError(
                f"no worker has sent a heartbeat in the last {seconds(within)} s",
                returncode=NO_WORKER,
            )

    def _text(self, status, within, alive) -> None:
        out = self.stdout
        out.write(
            f"Workers: {len(alive)} alive (heartbeat within {seconds(within)} s), "
            f"{len(status.workers)} seen in the last 24 h"
        )
        for w in status.workers:
            beat = w.heartbeat
            flag = (
                "ok"
                if beat.worker_id in alive
                else ("stopped" if w.state == "stopped" else "STALE")
            )
            out.write(
                f"  {flag:<7} {beat.worker_id}  {beat.hostname} pid {beat.pid}  "
                f"last heartbeat {age(w.silent_for)} ago  "
                f"started {timezone.localtime(beat.started_at):%Y-%m-%d %H:%M:%S}  "
                f"running {w.running}"
            )
        out.write(
            f"Queue: {status.ready} ready ({status.due} due now), "
            f"oldest waiting {age(status.oldest_waiting)}"
        )
        out.write(
            f"Outbox: {status.events_waiting}{'' if status.events_waiting_exact else '+'} "
            f"events waiting, oldest {age(status.oldest_event_waiting)}"
        )
        reclaimable = sum(t.reclaimable for t in status.running_tasks)
        out.write(
            f"Running: {status.running}"
            + (f" ({reclaimable} left by a stopped worker, to reclaim)" if reclaimable else "")
        )
        for t in status.running_tasks:
            out.write(
                f"  {t.task_path}  since {age(status.now - t.started_at)}  "
                f"worker {t.worker_id or '-'}{'' if t.worker_alive else ' (not alive)'}"
            )
        out.write(
            f"Failed in the last 24 h: {status.failed_recent} "
            f"({status.reclaimed_recent} reclaimed from stopped workers)"
        )

    def _json(self, status, alive) -> str:
        return json.dumps(
            {
                "alive": len(alive),
                "workers": [
                    {
                        "worker_id": w.heartbeat.worker_id,
                        "hostname": w.heartbeat.hostname,
                        "pid": w.heartbeat.pid,
                        "state": "alive" if w.heartbeat.worker_id in alive else w.state,
                        "started_at": w.heartbeat.started_at.isoformat(),
                        "last_seen_at": w.heartbeat.last_seen_at.isoformat(),
                        "seconds_since_heartbeat": seconds(w.silent_for),
                        "running": w.running,
                    }
                    for w in status.workers
                ],
                "ready": status.ready,
                "due": status.due,
                "oldest_waiting_seconds": seconds(status.oldest_waiting),
                "events_waiting": status.events_waiting,
                "events_waiting_exact": status.events_waiting_exact,
                "oldest_event_waiting_seconds": seconds(status.oldest_event_waiting),
                "running": status.running,
                "failed_24h": status.failed_recent,
                "reclaimed_24h": status.reclaimed_recent,
            },
            indent=2,
        )
