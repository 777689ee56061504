"""What the deal board and the ticket board share: the move dialog and its answers.

A board moves a card without leaving the page (static/partnerdesk/boards.js). A drop, a
keyboard move or the dialog posts to the record's move view with ``board=1``, which answers:

- 200 and the moved card with every column's head (count, value) and a sentence for screen
  readers (``includes/_board_update.html``);
- 422 and the move dialog (``includes/_board_move_form.html``): the stage asks for properties
  (the first time without errors: it asks, nothing was refused), or the dialog's values were
  refused (each error beside its field);
- 409 and the refusal in one sentence (``includes/_board_refusal.html``), for a drop or a
  keyboard move the dialog could not fix (a rule, or a built-in property such as the line
  items, filled in on the record's page), shown on the board.

Without JavaScript the dialog is the board page itself with the dialog open (``?move=<id>``)
and a move goes back to the board.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

from partnerdesk.core.converters import id_url
from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import PROP_PREFIX

# Query parameters of the board page that open the move dialog (not filters of the board).
DIALOG_PARAMS = ("move", "to")


CardLinks = tuple[Callable[[int], str], Callable[[int], str]]


def card_links(detail: str, move: str) -> CardLinks:
    """The URLs of a card's record and of its move (URL names), reversed once for a board."""
    return id_url(detail), id_url(move)


def as_card(record, links: CardLinks) -> None:
    """Set what a board card shows of ``record`` (a deal, a ticket) besides its fields, made
    once here rather than by template tags on each of a board's hundreds of cards (a third
    of the board's time): its ids as text (``ref``, ``stage_ref``), its links (``url``,
    ``move_url``; ``links`` from ``card_links``) and the labels of its move button and of its
    owner (``move_label``, ``owner_label``)."""
    record.ref, record.stage_ref = str(record.pk), str(record.stage_id)
    detail, move = links
    record.url, record.move_url = detail(record.pk), move(record.pk)
    record.move_label = gettext("Move “%(name)s”") % {"name": record.name}
    record.owner_label = (
        gettext("Owner: %(name)s") % {"name": record.owner} if record.owner_id else ""
    )


def board_query(params: QueryDict) -> str:
    """The board's filters as a query string (what the column counts are counted with)."""
    query = params.copy()
    for name in (*DIALOG_PARAMS, "board", "dialog", "next", "stage"):
        query.pop(name, None)
    return query.urlencode()


def with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def safe_next(request, board_path: str) -> str | None:
    """The board page a move without JavaScript goes back to, if ``next`` is one."""
    target = request.POST.get("next", "")
    if target.startswith(board_path) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def add_move_errors(form: forms.Form, exc: DomainError) -> None:
    """A refused move's errors, each beside its field in the dialog. Those about built-in
    properties the dialog cannot ask for are listed once by the dialog already (with a link
    to the record); anything else is said above the fields. Never the same error twice."""
    builtin = {d.name for d in getattr(form, "missing_builtin", [])}
    for error in exc.all_errors():
        name = error.field
        if name and f"{PROP_PREFIX}{name}" in form.fields:
            name = f"{PROP_PREFIX}{name}"
        if name in form.fields:
            form.add_error(name, str(error.message))
        elif name not in builtin:
            form.add_error(None, str(error.message))


def dialog_stage(form: forms.Form, stages, fallback):
    """The stage the dialog is about: the one chosen in the form, else ``fallback``."""
    chosen = form["stage"].value()
    return next((s for s in stages if str(s.pk) == str(chosen)), fallback)


def refusal(request, exc: DomainError, record_url: str, record_link: str) -> HttpResponse:
    """A drop the dialog cannot fix (409): the refusal above the board, with a link to the
    record (both boards answer it alike)."""
    return render(
        request,
        "includes/_board_refusal.html",
        {"message": exc.message, "record_url": record_url, "record_link": record_link},
        status=409,
    )
