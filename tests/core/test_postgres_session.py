"""The PostgreSQL session settings the application runs with (settings.py, docs/performance.md):
no JIT, and join orders searched four tables at a time."""

from __future__ import annotations

import os

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL settings"),
]


def show(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def test_jit_is_off_and_join_orders_are_searched_four_tables_at_a_time():
    assert show("jit") == "off"
    # At the default (8), planning the ticket page's ticket with its seven relations took
    # 6.5 ms for 0.15 ms of execution; at 4, 0.8 ms.
    assert show("join_collapse_limit") == "4"


@pytest.mark.skipif("CONN_MAX_AGE" in os.environ, reason="CONN_MAX_AGE set for this run")
def test_a_web_process_keeps_its_connection_for_a_minute_by_default():
    # A new connection is a new server process: a few ms of both cores for every request.
    assert connection.settings_dict["CONN_MAX_AGE"] == 60
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
