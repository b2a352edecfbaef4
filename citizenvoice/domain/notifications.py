"""Messages to residents at each step of a case: events, plain Chinese texts, quiet hours, links.

Pure rules, no I/O: which workflow step notifies, what the SMS says (at most two segments of
67 characters, the long-SMS segment size; a single message may have 70), when a message may
leave (never in quiet hours, Beijing time), and keyed link tokens (follow-up, 退订).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from citizenvoice.domain.localtime import LOCAL_ZONE

__all__ = [
    "SIGNATURE",
    "SMS_MAX_CHARS",
    "NotifyEvent",
    "QuietHours",
    "parse_quiet_hours",
    "render_text",
    "sign_token",
    "sms_segments",
    "verify_token",
]


class NotifyEvent(StrEnum):
    """A step of a case the resident hears about."""

    ACCEPTED = "accepted"
    RETURNED = "returned"
    EXTENDED = "extended"
    REPLIED = "replied"
    CLOSED = "closed"


SIGNATURE = "【市民之声】"
# Providers split long SMS into 67-character segments (3 go to the joining header).
SMS_SEGMENT_CHARS = 67
SMS_SINGLE_CHARS = 70
SMS_MAX_CHARS = 2 * SMS_SEGMENT_CHARS
# Longest department name kept in a text; a longer one is cut with an ellipsis.
_DEPARTMENT_CHARS = 12

_TEMPLATES: dict[NotifyEvent, str] = {
    NotifyEvent.ACCEPTED: "您的诉求已受理{dept}，查看进度：{url}",
    NotifyEvent.RETURNED: "您的诉求{dept}需重新分派，可能联系您补充情况，进度：{url}",
    NotifyEvent.EXTENDED: "您的诉求{dept}办理期限延至{deadline}，进度：{url}",
    NotifyEvent.REPLIED: "{dept}已答复您的诉求，请查看并评价：{url}",
    NotifyEvent.CLOSED: "您的诉求已办结{dept}，感谢参与：{url}",
}
_UNSUBSCRIBE = " 退订：{url}"


def sms_segments(text: str) -> int:
    """How many SMS segments ``text`` takes (1 up to 70 characters, then 67 per segment)."""
    if len(text) <= SMS_SINGLE_CHARS:
        return 1
    return -(-len(text) // SMS_SEGMENT_CHARS)


def _department_part(
    event: NotifyEvent, department: str | None, room: int, cap: int = _DEPARTMENT_CHARS
) -> str:
    if not department or room <= 2:
        return "" if event is not NotifyEvent.REPLIED else "承办部门"
    name = department.strip()
    limit = min(cap, room - (0 if event is NotifyEvent.REPLIED else 2))
    if len(name) > limit:
        name = name[: max(limit - 1, 1)] + "…"
    return name if event is NotifyEvent.REPLIED else f"（{name}）"


def render_text(
    event: NotifyEvent,
    *,
    url: str,
    department: str | None = None,
    deadline: datetime | None = None,
    unsubscribe_url: str | None = None,
    max_chars: int = SMS_MAX_CHARS,
) -> str:
    """The SMS/e-mail text of an event, signature first, within ``max_chars`` characters.

    SMS keeps to two segments: the department name is shortened (or left out) so the links
    always fit whole. An e-mail passes a larger ``max_chars`` and keeps the full name.
    """
    deadline_text = deadline.astimezone(LOCAL_ZONE).strftime("%m月%d日") if deadline else "新期限"
    tail = _UNSUBSCRIBE.format(url=unsubscribe_url) if unsubscribe_url else ""
    bare = _TEMPLATES[event].format(dept="", url=url, deadline=deadline_text)
    room = max_chars - len(SIGNATURE) - len(bare) - len(tail)
    # Only an SMS needs the short form; a mail names the department in full.
    cap = _DEPARTMENT_CHARS if max_chars <= SMS_MAX_CHARS else max_chars
    dept = _department_part(event, department, room, cap)
    text = SIGNATURE + _TEMPLATES[event].format(dept=dept, url=url, deadline=deadline_text) + tail
    if len(text) > max_chars and tail:
        text = text[: -len(tail)]  # links too long for both: the step's own link wins
    return text


@dataclass(frozen=True)
class QuietHours:
    """Local hours [start, end) in which nothing is sent; None = never quiet."""

    start: int | None = 22
    end: int | None = 8

    def next_allowed(self, now: datetime) -> datetime:
        """The first moment at or after ``now`` (aware) when a message may leave; aware UTC."""
        if self.start is None or self.end is None or self.start == self.end:
            return now
        local = now.astimezone(LOCAL_ZONE)
        hour = local.hour
        quiet = (
            self.start <= hour < self.end
            if self.start < self.end
            else hour >= self.start or hour < self.end
        )
        if not quiet:
            return now
        day = local.date() if hour < self.end else local.date() + timedelta(days=1)
        opens = datetime.combine(day, time(self.end), tzinfo=LOCAL_ZONE)
        return opens.astimezone(now.tzinfo)


def parse_quiet_hours(raw: str) -> QuietHours:
    """``"22-8"`` (start-end, local hours) or ``"off"``; ValueError for anything else."""
    text = (raw or "").strip().lower()
    if text in {"off", "none", "0"}:
        return QuietHours(None, None)
    start_text, sep, end_text = text.partition("-")
    if not sep or not start_text.isdigit() or not end_text.isdigit():
        raise ValueError(f"quiet hours must look like 22-8 or off, not {raw!r}")
    start, end = int(start_text), int(end_text)
    if not (0 <= start <= 23 and 0 <= end <= 23):
        raise ValueError(f"quiet hours must be hours 0-23, not {raw!r}")
    return QuietHours(start, end)


def _mac(secret: str, purpose: str, body: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{purpose}:{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode("ascii")


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def sign_token(secret: str, purpose: str, case_id: int, expires: datetime | None = None) -> str:
    """A short keyed token naming a case for one purpose, valid until ``expires`` (or forever)."""
    body = _b36(case_id) + "." + (_b36(int(expires.timestamp())) if expires else "0")
    return body + "." + _mac(secret, purpose, body)


def verify_token(secret: str, purpose: str, token: str, now: datetime) -> int | None:
    """The case id of a valid, unexpired token; None for anything else (never raises)."""
    if not isinstance(token, str) or len(token) > 64:
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return None
    body = parts[0] + "." + parts[1]
    expected = _mac(secret, purpose, body).encode("ascii")
    if not hmac.compare_digest(expected, parts[2].encode("utf-8", "replace")):
        return None
    try:
        case_id, expires = int(parts[0], 36), int(parts[1], 36)
    except ValueError:  # pragma: no cover (a valid MAC was made over these parts)
        return None
    if expires and now.timestamp() >= expires:
        return None
    return case_id
