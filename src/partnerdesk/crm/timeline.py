"""Sentences for CRM timeline entries."""

from django.utils.translation import gettext as _

from partnerdesk.core.events import describe_changes, register_describer

from .events import CrmEvent

register_describer("company.created", lambda e: _("Company created"))
register_describer(
    "company.updated", lambda e: _("Company updated: %(c)s") % {"c": describe_changes(e)}
)
register_describer("contact.created", lambda e: _("Contact created"))
register_describer(
    "contact.updated", lambda e: _("Contact updated: %(c)s") % {"c": describe_changes(e)}
)
register_describer(
    "deal.created",
    lambda e: (
        _("Deal created in %(pipeline)s, stage %(stage)s")
        % {"pipeline": e.data.get("pipeline"), "stage": e.data.get("stage")}
    ),
)
register_describer("deal.updated", lambda e: _("Deal updated: %(c)s") % {"c": describe_changes(e)})
register_describer(
    "deal.stage_changed",
    lambda e: (
        _("Stage moved from %(from)s to %(to)s")
        % {"from": e.data.get("from_stage"), "to": e.data.get("to_stage")}
    ),
)
register_describer(
    "deal.line_item_added",
    lambda e: (
        _("Line item added: %(q)s × %(p)s")
        % {"q": e.data.get("quantity"), "p": e.data.get("product")}
    ),
)
register_describer(
    "deal.line_item_removed",
    lambda e: (
        _("Line item removed: %(q)s × %(p)s")
        % {"q": e.data.get("quantity"), "p": e.data.get("product")}
    ),
)
register_describer(
    "record.imported",
    lambda e: _("Imported from a HubSpot CSV file (%(f)s)") % {"f": e.data.get("file", "")},
)
register_describer(
    "record.import_updated",
    lambda e: (
        _("Updated by a HubSpot CSV import (%(f)s): %(c)s")
        % {"f": e.data.get("file", ""), "c": describe_changes(e)}
    ),
)
register_describer(
    CrmEvent.PIPELINE_CREATED, lambda e: _("Pipeline created: %(n)s") % {"n": e.data.get("name")}
)
register_describer(
    CrmEvent.PIPELINE_UPDATED, lambda e: _("Pipeline updated: %(c)s") % {"c": describe_changes(e)}
)
register_describer(
    CrmEvent.PRODUCT_CREATED, lambda e: _("Product created: %(n)s") % {"n": e.data.get("name")}
)
register_describer(
    CrmEvent.PRODUCT_UPDATED, lambda e: _("Product updated: %(c)s") % {"c": describe_changes(e)}
)
register_describer(
    CrmEvent.PROPERTY_CREATED,
    lambda e: _("Property created: %(n)s") % {"n": e.data.get("label")},
)
register_describer(
    CrmEvent.PROPERTY_UPDATED,
    lambda e: _("Property updated: %(c)s") % {"c": describe_changes(e)},
)


def _secret_revealed(e) -> str:
    values = {
        "who": e.actor.display_name if e.actor else _("Somebody"),
        "label": e.data.get("label", ""),
        "record": e.data.get("record", ""),
    }
    if e.data.get("copied"):
        return _("%(who)s copied %(label)s of %(record)s") % values
    return _("%(who)s revealed %(label)s of %(record)s") % values


register_describer(CrmEvent.SECRET_REVEALED, _secret_revealed)
