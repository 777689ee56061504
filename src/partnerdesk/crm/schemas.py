"""API schemas of CRM records that other apps' APIs embed (a ticket's company, stage, ...)."""

from __future__ import annotations

from ninja import Schema

from . import properties as props


class CompanyRef(Schema):
    id: int
    name: str
    domain: str


class StageRef(Schema):
    id: int
    name: str
    kind: str


class PipelineRef(Schema):
    id: int
    name: str


class ProductRef(Schema):
    id: int
    name: str
    sku: str


def property_payload(record, user) -> dict:
    """A record's custom properties as the API shows them: secrets only to those who may see them."""
    secrets = {}
    if props.can_see_secrets(user):
        secrets = {name: props.secret_value(record, name, user=user) for name in record.secrets}
    return {
        "properties": dict(record.properties),
        "secret_properties_set": sorted(record.secrets),
        "secret_properties": secrets,
    }
