"""Turning one CSV cell into a field's value: countries, time zones, lifecycle stages, amounts,
dates, Record IDs and custom property values, as HubSpot exports them."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User

from .. import properties as props
from ..models import Lifecycle, PropertyDefinition, PropertyType

LIFECYCLE_MAP = {
    "subscriber": Lifecycle.PROSPECT,
    "lead": Lifecycle.PROSPECT,
    "marketingqualifiedlead": Lifecycle.PROSPECT,
    "salesqualifiedlead": Lifecycle.PROSPECT,
    "opportunity": Lifecycle.PROSPECT,
    "prospect": Lifecycle.PROSPECT,
    # HubSpot's catch-all: not a paying client, so the non-committal state.
    "other": Lifecycle.PROSPECT,
    "customer": Lifecycle.CLIENT,
    "evangelist": Lifecycle.CLIENT,
    "client": Lifecycle.CLIENT,
    "former": Lifecycle.FORMER,
    "formercustomer": Lifecycle.FORMER,
    "formerclient": Lifecycle.FORMER,
    "churned": Lifecycle.FORMER,
}

# Common country names (English, plus Italian and Arabic for the agency's markets) -> ISO code.
# Two-letter codes are accepted as they are.
COUNTRY_NAMES = {
    "afghanistan": "AF",
    "albania": "AL",
    "algeria": "DZ",
    "argentina": "AR",
    "armenia": "AM",
    "australia": "AU",
    "austria": "AT",
    "bahrain": "BH",
    "bangladesh": "BD",
    "belgium": "BE",
    "bolivia": "BO",
    "bosnia and herzegovina": "BA",
    "brazil": "BR",
    "bulgaria": "BG",
    "canada": "CA",
    "chile": "CL",
    "china": "CN",
    "colombia": "CO",
    "croatia": "HR",
    "cyprus": "CY",
    "czech republic": "CZ",
    "czechia": "CZ",
    "denmark": "DK",
    "ecuador": "EC",
    "egypt": "EG",
    "estonia": "EE",
    "ethiopia": "ET",
    "finland": "FI",
    "france": "FR",
    "georgia": "GE",
    "germany": "DE",
    "ghana": "GH",
    "greece": "GR",
    "hong kong": "HK",
    "hungary": "HU",
    "iceland": "IS",
    "india": "IN",
    "indonesia": "ID",
    "iran": "IR",
    "iraq": "IQ",
    "ireland": "IE",
    "israel": "IL",
    "italy": "IT",
    "japan": "JP",
    "jordan": "JO",
    "kazakhstan": "KZ",
    "kenya": "KE",
    "kuwait": "KW",
    "latvia": "LV",
    "lebanon": "LB",
    "libya": "LY",
    "lithuania": "LT",
    "luxembourg": "LU",
    "malaysia": "MY",
    "malta": "MT",
    "mexico": "MX",
    "monaco": "MC",
    "morocco": "MA",
    "netherlands": "NL",
    "the netherlands": "NL",
    "new zealand": "NZ",
    "nigeria": "NG",
    "norway": "NO",
    "oman": "OM",
    "pakistan": "PK",
    "palestine": "PS",
    "peru": "PE",
    "philippines": "PH",
    "poland": "PL",
    "portugal": "PT",
    "qatar": "QA",
    "romania": "RO",
    "russia": "RU",
    "san marino": "SM",
    "saudi arabia": "SA",
    "serbia": "RS",
    "singapore": "SG",
    "slovakia": "SK",
    "slovenia": "SI",
    "south africa": "ZA",
    "south korea": "KR",
    "korea": "KR",
    "spain": "ES",
    "sudan": "SD",
    "sweden": "SE",
    "switzerland": "CH",
    "syria": "SY",
    "taiwan": "TW",
    "thailand": "TH",
    "tunisia": "TN",
    "turkey": "TR",
    "turkiye": "TR",
    "türkiye": "TR",
    "ukraine": "UA",
    "united arab emirates": "AE",
    "uae": "AE",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "america": "US",
    "vatican city": "VA",
    "venezuela": "VE",
    "vietnam": "VN",
    "yemen": "YE",
    # Italian
    "italia": "IT",
    "egitto": "EG",
    "francia": "FR",
    "germania": "DE",
    "spagna": "ES",
    "svizzera": "CH",
    "regno unito": "GB",
    "stati uniti": "US",
    "emirati arabi uniti": "AE",
    "arabia saudita": "SA",
    # Arabic
    "مصر": "EG",
    "السعودية": "SA",
    "المملكة العربية السعودية": "SA",
    "الإمارات": "AE",
    "الإمارات العربية المتحدة": "AE",
    "قطر": "QA",
    "الكويت": "KW",
    "الأردن": "JO",
    "المغرب": "MA",
    "تونس": "TN",
    "الجزائر": "DZ",
    "لبنان": "LB",
    "إيطاليا": "IT",
}


def norm_name(text: str) -> str:
    """For matching stage and pipeline names: "Closed Won" == "closedwon" == "closed_won"."""
    return re.sub(r"[\W_]+", "", text.lower())


class CellError(Exception):
    """A cell that cannot become its field's value; the message says what to write instead."""


@cache
def _timezones_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def parse_country(raw: str) -> str:
    text = raw.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    code = COUNTRY_NAMES.get(" ".join(text.lower().split()))
    if code is None:
        raise CellError(
            _(
                "“%(value)s” is not a two-letter country code (such as IT or EG) or a "
                "country name Partnerdesk knows; use the ISO code."
            )
            % {"value": raw}
        )
    return code


def parse_timezone(raw: str) -> str:
    text = re.sub(r"^\(?\s*(GMT|UTC)\s*[+\-\u2212]?\s*\d{0,2}(:\d{2})?\s*\)?\s*", "", raw.strip())
    text = text.replace("_slash_", "/").strip()
    found = _timezones_by_lower().get(text.lower())
    if found is None:
        raise CellError(
            _("“%(value)s” is not a time zone name such as Europe/Rome.") % {"value": raw}
        )
    return found


def parse_lifecycle(raw: str) -> str:
    value = LIFECYCLE_MAP.get(norm_name(raw))
    if value is None:
        raise CellError(
            _(
                "“%(value)s” is not a lifecycle stage Partnerdesk knows (use a HubSpot stage "
                "such as Lead, Opportunity, Customer or Other, or one of: %(ours)s)."
            )
            % {"value": raw, "ours": ", ".join(str(label) for label in Lifecycle.labels)}
        )
    return value


def parse_amount(raw: str) -> Decimal:
    text = re.sub(r"[\s\u00a0$€£¥]", "", raw)
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal_mark == "," else ",", "").replace(",", ".")
    elif "," in text:
        text = (
            text.replace(",", "")
            if re.fullmatch(r"-?\d{1,3}(,\d{3})+", text)
            else text.replace(",", ".")
        )
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not a number.") % {"value": raw}) from None
    if not value.is_finite():
        raise CellError(_("“%(value)s” is not a number.") % {"value": raw})
    return value


def parse_date(raw: str) -> dt.date:
    try:
        return props.parse_date(raw.strip())
    except ValueError:
        raise CellError(
            _("“%(value)s” is not a date; write it as YYYY-MM-DD (for example 2025-03-31).")
            % {"value": raw}
        ) from None


def parse_record_id(raw: str) -> str:
    value = raw.strip()
    if re.fullmatch(r"\d(\.\d+)?[eE]\+\d+", value):
        raise CellError(
            _(
                "The Record ID “%(value)s” was rounded by a spreadsheet program. Export "
                "the file from HubSpot again and upload it without opening it in a "
                "spreadsheet."
            )
            % {"value": value}
        )
    if len(value) > 32:
        raise CellError(_("The Record ID is too long (at most 32 characters)."))
    return value


def property_value(defn: PropertyDefinition, raw: str) -> Any:
    """A custom property's cell, by the property's own rules (a DomainError when it breaks them)."""
    if defn.type == PropertyType.URL and "://" not in raw and "." in raw and " " not in raw.strip():
        raw = "https://" + raw.strip()  # HubSpot often stores websites without a scheme
    return props.normalize_value(defn, raw)


def preview_text(value: Any) -> str:
    """A converted value as the preview table shows it."""
    if value is None:
        return ""
    if isinstance(value, User):
        return value.email
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
