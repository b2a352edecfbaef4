"""Channels that deliver a message to a resident, behind one interface.

``file://`` (development: one JSON line per message), ``smtp://`` (e-mail) and ``aliyun://``
(Aliyun SMS, the HTTP RPC API ``SendSms`` with signature version 1.0, HMAC-SHA1). A channel
raises ChannelError; ``retryable`` tells the sending job whether another attempt may succeed.
Nothing here logs: the recipient and the text must never reach a log line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

__all__ = [
    "MAIL_SUBJECT",
    "AliyunSmsChannel",
    "ChannelError",
    "FileChannel",
    "OutgoingMessage",
    "Sender",
    "SmtpChannel",
    "aliyun_signature",
    "channel_from_url",
]

_TIMEOUT_SECONDS = 10
MAIL_SUBJECT = "【市民之声】您的诉求办理进度"


@dataclass(frozen=True)
class OutgoingMessage:
    """One message ready to leave: recipient, text, and what it is about."""

    to: str
    text: str
    event: str
    case: int
    url: str


class ChannelError(RuntimeError):
    """Delivery failed; ``retryable`` when the provider or network may recover."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class Sender(Protocol):
    """What every channel offers: send one message, return the provider's message id."""

    def send(self, message: OutgoingMessage) -> str:
        """Deliver ``message``; raise ChannelError on failure."""
        ...


class FileChannel:
    """Appends one JSON line per message to a file (development, and the browser tests)."""

    _lock = threading.Lock()

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def send(self, message: OutgoingMessage) -> str:
        """Append ``{"to", "text", "event", "case", "url"}`` as one line."""
        line = json.dumps(
            {
                "to": message.to,
                "text": message.text,
                "event": message.event,
                "case": message.case,
                "url": message.url,
            },
            ensure_ascii=False,
        )
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(line + "\n")
        except OSError as exc:
            raise ChannelError(f"file: {type(exc).__name__}", retryable=True) from exc
        return f"file-{uuid.uuid4().hex[:16]}"


class SmtpChannel:
    """E-mail over plain SMTP (a local relay such as postfix handles TLS onwards)."""

    def __init__(self, host: str, port: int, sender: str) -> None:
        self.host, self.port, self.sender = host, port, sender

    def send(self, message: OutgoingMessage) -> str:
        """Send a plain-text mail; the Message-ID is the provider id."""
        # Intake refuses such addresses; checked again here because a header is the one place
        # a CR or LF would turn into a second header (Bcc: ...).
        if not message.to or any(ord(c) < 33 or ord(c) == 127 for c in message.to):
            raise ChannelError("smtp: unusable recipient", retryable=False)
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = MAIL_SUBJECT
        message_id = f"<{uuid.uuid4().hex}@citizenvoice>"
        mail["Message-ID"] = message_id
        mail.set_content(message.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=_TIMEOUT_SECONDS) as smtp:
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError("smtp: recipient refused", retryable=False) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelError(f"smtp: {type(exc).__name__}", retryable=True) from exc
        return message_id


def _percent(value: str) -> str:
    return urllib.parse.quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """Aliyun RPC signature v1.0: HMAC-SHA1 over the sorted, percent-encoded parameters."""
    canonical = "&".join(f"{_percent(k)}={_percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_percent('/')}&{_percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


# Codes worth another attempt later: flow control and the provider's own trouble.
_ALIYUN_RETRYABLE = ("isv.BUSINESS_LIMIT_CONTROL", "Throttling", "ServiceUnavailable")


class AliyunSmsChannel:
    """Aliyun SMS (dysmsapi ``SendSms``); the approved template carries the text as ``content``."""

    def __init__(
        self,
        endpoint: str,
        access_key_id: str,
        secret: str,
        sign_name: str,
        template_code: str,
    ) -> None:
        self.endpoint = endpoint.rstrip("/") + "/"
        self.access_key_id, self.secret = access_key_id, secret
        self.sign_name, self.template_code = sign_name, template_code

    def _params(self, message: OutgoingMessage) -> dict[str, str]:
        return {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": f"{message.case}-{message.event}",
            "PhoneNumbers": message.to,
            "RegionId": "cn-hangzhou",
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": self.template_code,
            # The signature 【...】 is added by the provider from SignName.
            "TemplateParam": json.dumps(
                {"content": message.text.removeprefix("【市民之声】")}, ensure_ascii=False
            ),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }

    def send(self, message: OutgoingMessage) -> str:
        """Call SendSms; the BizId of the answer is the provider message id."""
        params = self._params(message)
        params["Signature"] = aliyun_signature(params, self.secret)
        url = self.endpoint + "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        try:
            with urllib.request.urlopen(url, timeout=_TIMEOUT_SECONDS) as answer:  # noqa: S310
                body = json.loads(answer.read(65536) or b"{}")
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"aliyun: HTTP {exc.code}", retryable=exc.code >= 500) from exc
        except (OSError, ValueError) as exc:
            raise ChannelError(f"aliyun: {type(exc).__name__}", retryable=True) from exc
        code = str(body.get("Code", ""))
        if code != "OK":
            retryable = code.startswith(_ALIYUN_RETRYABLE)
            raise ChannelError(f"aliyun: {code[:60]}", retryable=retryable)
        return str(body.get("BizId", ""))[:100]


def channel_from_url(url: str, mail_from: str = "noreply@localhost") -> Sender:
    """The channel a setting names; ValueError for an unknown or incomplete address."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "file":
        return FileChannel(urllib.parse.unquote(parts.path))
    if parts.scheme == "smtp":
        return SmtpChannel(parts.hostname or "localhost", parts.port or 25, mail_from)
    if parts.scheme == "aliyun":
        query = dict(urllib.parse.parse_qsl(parts.query))
        scheme = "http" if query.get("scheme") == "http" else "https"
        host = parts.hostname or "dysmsapi.aliyuncs.com"
        netloc = f"{host}:{parts.port}" if parts.port else host
        if not (parts.username and parts.password and query.get("sign") and query.get("template")):
            raise ValueError("aliyun:// needs KEY:SECRET@host?sign=...&template=...")
        return AliyunSmsChannel(
            f"{scheme}://{netloc}",
            urllib.parse.unquote(parts.username),
            urllib.parse.unquote(parts.password),
            query["sign"],
            query["template"],
        )
    raise ValueError(f"unknown notification channel scheme: {parts.scheme!r}")
