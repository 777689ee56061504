"""Renewal reminders: an email to whoever owns a renewal's communication, on each configured
day before its deadline (default 30, 14, 7 and 1), once each.

The periodic job (``core.periodic``, hourly, once per period however many schedulers run)
calls ``send_renewal_reminders``. It looks only at pending renewals of clients still served
(*end services* stops them; so does a status other than pending: the decision is made).

**Once each.** A reminder is a ``RenewalReminder`` row, unique per (renewal, days before the
deadline), inserted under a lock of the client's account row before the email leaves; a second
worker or a second run finds the row and sends nothing. A send that fails deletes its rows, so
the next run tries again. A run that comes late sends the latest reminder due, not each one it
missed (``renewals.due_offset``).

**Who.** The owner in force (the client's own, else the default setting):

- *HubSpot*: to the client's decision maker, the chosen partner user copied, written for the
  client, in the decision maker's language (that of their user account here, if they have one;
  else the agency's default language);
- *Partner*: to the client's point of contact, in their language; without one, the default
  point of contact of the settings, then the company's owner. HubSpot mode without a decision
  maker falls back to these too, so a reminder is never silently lost to a missing contact.

The renewals of one client with the same date and reminder day go out as one email.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from django.conf import settings as django_settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.core import clock
from partnerdesk.core.events import record_event
from partnerdesk.partner_program.models import HubSpotAccount, Subscription

from . import renewals
from .events import DashboardEvent
from .models import (
    OwnerMode,
    RenewalOwner,
    RenewalReminder,
    RenewalSettings,
    RenewalStatus,
)
from .selectors.renewals import renewal_rows
from .services import renewal_row

log = logging.getLogger(__name__)


@dataclass
class Recipients:
    mode: str  # OwnerMode.HUBSPOT or OwnerMode.PARTNER: whom the email is written for
    to: list[str]
    language: str
    name: str
    cc: list[str] = field(default_factory=list)

    @property
    def addresses(self) -> list[str]:
        return [*self.to, *self.cc]


def _active_staff(user: Any) -> TypeGuard[User]:
    return bool(
        user is not None
        and user.is_active
        and getattr(user, "is_agency_staff", False)
        and user.email
    )


def _owner_of(account: HubSpotAccount) -> RenewalOwner | None:
    try:
        return account.renewal_owner
    except RenewalOwner.DoesNotExist:
        return None


def _contact_language(email: str) -> str:
    """A contact's language: that of their user account here, else the agency's default."""
    language = (
        User.objects.filter(email__iexact=email, is_active=True)
        .values_list("language", flat=True)
        .first()
    )
    return language or django_settings.LANGUAGE_CODE


def recipients_for(account: HubSpotAccount, settings: RenewalSettings) -> Recipients | None:
    """Who gets the client's renewal notices now (None: nobody to send them to)."""
    owner = _owner_of(account)
    mode = owner.mode if owner is not None and owner.mode != OwnerMode.DEFAULT else None
    mode = mode or settings.default_owner
    if mode == OwnerMode.HUBSPOT and owner is not None:
        contact = owner.decision_maker
        if contact is not None and contact.email and contact.company_id == account.company_id:
            copied = owner.copied_user
            return Recipients(
                mode=OwnerMode.HUBSPOT,
                to=[contact.email],
                cc=[copied.email]
                if _active_staff(copied) and copied.email != contact.email
                else [],
                language=_contact_language(contact.email),
                name=contact.name,
            )
    candidates = (
        owner.point_of_contact if owner is not None else None,
        settings.default_point_of_contact,
        account.company.owner,
    )
    for user in candidates:
        if _active_staff(user):
            return Recipients(
                mode=OwnerMode.PARTNER,
                to=[user.email],
                language=user.language,
                name=user.display_name,
            )
    return None


# ---------------------------------------------------------------- finding what is due


def due_reminders(
    on: dt.date, settings: RenewalSettings, *, limit: int = 500
) -> list[tuple[Subscription, int]]:
    """Pending renewals with a reminder due on ``on`` that has not been sent, with its offset.

    The offset due depends on the deadline only: with offsets a₀ < a₁ < …, a renewal whose
    deadline lies in (on + aᵢ₋₁, on + aᵢ] is due for aᵢ. One query per offset, each an
    indexed range of renewal dates without the reminders already sent, so sent ones never
    crowd out the rest under ``limit``."""
    offsets = sorted(renewals.clean_offsets(settings.reminder_days or []))
    due: list[tuple[Subscription, int]] = []
    lower = on
    for offset in offsets:
        upper = on + dt.timedelta(days=offset)
        sent = RenewalReminder.objects.filter(
            renewal__subscription=OuterRef("pk"),
            renewal__renews_on=OuterRef("renewal_date"),
            days_before=offset,
        )
        rows = (
            renewal_rows(settings=settings)
            .select_related("account__company__owner")
            .filter(
                renewal_date__gte=renewals.renews_on_for(lower),
                renewal_date__lte=renewals.renews_on_for(upper),
                renewal_status=RenewalStatus.PENDING,
            )
            .filter(~Exists(sent))
            .order_by("renewal_date", "account_id", "id")[: max(0, limit - len(due))]
        )
        due.extend((row, offset) for row in rows)
        lower = upper + dt.timedelta(days=1)
    return due


def send_renewal_reminders(*, on: dt.date | None = None, limit: int = 500) -> int:
    """Send the renewal reminders due today; returns the number of emails sent."""
    on = on or renewals.today()
    settings = RenewalSettings.load()
    groups: dict[tuple[int, dt.date, int], list[Subscription]] = {}
    for subscription, offset in due_reminders(on, settings, limit=limit):
        key = (subscription.account_id, subscription.renewal_date, offset)
        groups.setdefault(key, []).append(subscription)  # type: ignore[arg-type]
    sent = 0
    for (_account_id, renews_on, offset), subscriptions in groups.items():
        sent += _remind(subscriptions, renews_on, offset, on=on, settings=settings)
    return sent


# ---------------------------------------------------------------- one email


def _claim(
    subscriptions: list[Subscription], offset: int, recipients: Recipients
) -> list[Subscription]:
    """Record the reminder of each renewal that has none yet, under the account's lock;
    returns the subscriptions claimed (none once services ended or another run sent it)."""
    claimed = []
    with transaction.atomic():
        account = HubSpotAccount.objects.select_for_update().get(pk=subscriptions[0].account_id)
        if account.services_ended_on is not None:
            return []
        for subscription in subscriptions:
            renewal = renewal_row(subscription)
            if renewal.status != RenewalStatus.PENDING:
                continue
            try:
                with transaction.atomic():
                    RenewalReminder.objects.create(
                        renewal=renewal,
                        days_before=offset,
                        sent_at=clock.now(),
                        recipients=recipients.addresses,
                    )
            except IntegrityError:
                continue  # another worker sent it
            claimed.append(subscription)
    return claimed


def _remind(
    subscriptions: list[Subscription],
    renews_on: dt.date,
    offset: int,
    *,
    on: dt.date,
    settings: RenewalSettings,
) -> int:
    account = subscriptions[0].account
    recipients = recipients_for(account, settings)
    if recipients is None:
        log.warning("renewal reminder for account %s: nobody to send it to", account.pk)
        return 0
    claimed = _claim(subscriptions, offset, recipients)
    if not claimed:
        return 0
    try:
        _send(account, claimed, renews_on, on=on, recipients=recipients)
    except Exception:
        log.warning("renewal reminder for account %s failed", account.pk, exc_info=True)
        RenewalReminder.objects.filter(
            renewal__subscription__in=claimed, renewal__renews_on=renews_on, days_before=offset
        ).delete()
        return 0
    with transaction.atomic():
        record_event(
            kind=DashboardEvent.RENEWAL_REMINDER_SENT,
            subject=account,
            company_id=account.company_id,
            data={
                "products": [s.product for s in claimed],
                "renews_on": renews_on.isoformat(),
                "deadline": renewals.deadline(renews_on).isoformat(),
                "days_before": offset,
                "mode": recipients.mode,
                "to": recipients.to,
                "cc": recipients.cc,
            },
        )
    return 1


def _send(
    account: HubSpotAccount,
    subscriptions: list[Subscription],
    renews_on: dt.date,
    *,
    on: dt.date,
    recipients: Recipients,
) -> None:
    agency = django_settings.PARTNERDESK["AGENCY_NAME"]
    deadline = renewals.deadline(renews_on)
    with translation.override(recipients.language):
        context = {
            "for_client": recipients.mode == OwnerMode.HUBSPOT,
            "recipient_name": recipients.name,
            "account": account,
            "company": account.company,
            "subscriptions": subscriptions,
            "renews_on": renews_on,
            "deadline": deadline,
            "days_left": renewals.days_left(renews_on, on),
            "agency_name": agency,
            "account_url": django_settings.SITE_URL
            + reverse("partner_program:account_detail", kwargs={"pk": account.pk}),
        }
        subject = _("[%(agency)s] Renewal of %(client)s: decide by %(deadline)s") % {
            "agency": agency,
            "client": account.company.name,
            "deadline": formats.date_format(deadline, "DATE_FORMAT"),
        }
        text = render_to_string("dashboard/email/renewal_reminder.txt", context)
        html = render_to_string("dashboard/email/renewal_reminder.html", context)
    message = EmailMultiAlternatives(
        subject,
        text,
        django_settings.DEFAULT_FROM_EMAIL,
        recipients.to,
        cc=recipients.cc,
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    message.send()
