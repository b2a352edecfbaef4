"""An Open311 ``POST requests`` form turned into the site's feedback fields.

The request is then filed by the same service as the site's form and the JSON API
(``file_feedback``: validation, outbox, analysis, workflow). Open311 names map as follows:
service_code -> department (``other``: none, routed like 不确定), description -> text,
address_string (prefixed by attribute[district]) -> location, lat/long -> coordinates,
phone -> contact phone, email -> contact e-mail address (checked like the site's field: a bad
one is a 400 naming ``email``); first_name, last_name and media_url are read and not kept (the
site keeps no names). Requests are public-consented unless the client sends
``attribute[private]=true``: registering a key means accepting to collect that consent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from citizenvoice.domain.feedback import FeedbackKind, clean_text
from citizenvoice.domain.open311 import Open311Error
from citizenvoice.services.open311.catalogue import (
    DISTRICT_ATTRIBUTE,
    MAX_DISTRICT_LENGTH,
    OTHER_SERVICE_CODE,
    PRIVATE_ATTRIBUTE,
    service_of,
)

__all__ = ["feedback_fields"]

_PRIVATE_VALUES = {"true": True, "false": False, "": False}
_MAX_URL = 2000


def _one(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def feedback_fields(form: Mapping[str, str]) -> dict[str, Any]:
    """The feedback fields of a posted request; Open311Error (400) on what the spec rejects.

    The site's own rules (text length, phone format, coordinate ranges) are checked by
    ``file_feedback`` afterwards, with their own messages.
    """
    code = _one(form, "service_code").strip()
    if not code:
        raise Open311Error(400, "service_code is required")
    if service_of(code) is None:
        raise Open311Error(400, "service_code: unknown service code")
    lat, long = _one(form, "lat").strip(), _one(form, "long").strip()
    address = _one(form, "address_string")
    if not (lat and long) and not address.strip() and not _one(form, "address_id").strip():
        raise Open311Error(400, "a location is required: lat and long, or address_string")
    private_raw = _one(form, f"attribute[{PRIVATE_ATTRIBUTE}]").strip().lower()
    if private_raw not in _PRIVATE_VALUES:
        raise Open311Error(400, "attribute[private]: use true or false")
    district = clean_text(_one(form, f"attribute[{DISTRICT_ATTRIBUTE}]"))
    if len(district) > MAX_DISTRICT_LENGTH:
        raise Open311Error(400, f"attribute[district]: at most {MAX_DISTRICT_LENGTH} characters")
    media_url = _one(form, "media_url").strip()
    if media_url and (
        len(media_url) > _MAX_URL or not media_url.startswith(("http://", "https://"))
    ):
        raise Open311Error(400, "media_url: an http(s) URL is required")
    location = " ".join(part for part in (district, clean_text(address)) if part)
    return {
        "kind": FeedbackKind.COMPLAINT.value,
        "department": None if code == OTHER_SERVICE_CODE else code,
        "text": _one(form, "description"),
        "location": location,
        "lat": lat or None,
        "long": long or None,
        "contact_phone": _one(form, "phone").strip() or None,
        "contact_email": _one(form, "email") or None,
        "public_consent": not _PRIVATE_VALUES[private_raw],
    }
