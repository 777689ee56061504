"""The tickets app's reactions to events (registered when the app is ready): other apps' SLA
changes, and its own openings and stage moves for the status emails to customers."""

from partnerdesk.core.events import register_handler
from partnerdesk.sla.events import SlaEvent

from .events import TicketEvent
from .notice_mail import notify_customer
from .tasks import recompute_after_sla_change

register_handler([SlaEvent.TARGETS_CHANGED], recompute_after_sla_change)
register_handler([TicketEvent.CREATED, TicketEvent.STAGE_CHANGED], notify_customer)
