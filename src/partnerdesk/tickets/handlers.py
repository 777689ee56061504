"""The tickets app's reactions to other apps' events (registered when the app is ready)."""

from partnerdesk.core.events import register_handler
from partnerdesk.sla.events import SlaEvent

from .tasks import recompute_after_sla_change

register_handler([SlaEvent.TARGETS_CHANGED], recompute_after_sla_change)
