"""Photo files in an S3-compatible bucket (MinIO, Aliyun OSS, Tencent COS, AWS S3; issue 23).

Chosen by ``CITIZENVOICE_MEDIA_STORAGE=s3://ACCESS_KEY:SECRET@host:port/bucket?region=...``
(docs/photos.md). :class:`S3Storage` implements the three methods of
:class:`~citizenvoice.services.media_storage.MediaStorage` with boto3. Objects are written
without an ACL, so they keep the bucket's default (private); the app never hands out bucket or
presigned addresses: every photo is read here and answered by a view that checks access.

Names are checked against the same 128-bit shape as on the filesystem before any key is built,
so no stored name can reach another object. A storage that cannot be reached in time, or that
answers an error other than "no such key", raises
:class:`~citizenvoice.services.media_storage.StorageUnavailable` (the views answer 503 with
Retry-After); the timeouts are short because an upload waits on them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from citizenvoice.services.media_storage import NAME_SHAPE, StorageUnavailable, StoredFileMissing

__all__ = ["S3Settings", "S3Storage", "parse_s3_url"]

_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


@dataclass(frozen=True)
class S3Settings:
    """Where the bucket is and how to sign for it (parsed from the setting)."""

    endpoint: str
    bucket: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    prefix: str = ""
    timeout: float = 5.0

    def __repr__(self) -> str:
        """Never the secret (this object may end up in a log or a traceback)."""
        return f"S3Settings(endpoint={self.endpoint!r}, bucket={self.bucket!r})"


def parse_s3_url(url: str) -> S3Settings:
    """``s3://KEY:SECRET@host[:port]/bucket?region=..&secure=0|1&prefix=..&timeout=..``.

    Key and secret are percent-decoded (a ``/`` in a secret is written ``%2F``). ``secure``
    defaults to 1 (HTTPS). Raises ValueError (naming the part, never the secret) when a part
    is missing or malformed.
    """
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ValueError("CITIZENVOICE_MEDIA_STORAGE: scheme must be s3://")
    if not parts.hostname or not parts.username or parts.password is None:
        raise ValueError("CITIZENVOICE_MEDIA_STORAGE: s3://ACCESS_KEY:SECRET@host/bucket")
    bucket = parts.path.strip("/")
    if not bucket or "/" in bucket:
        raise ValueError("CITIZENVOICE_MEDIA_STORAGE: one bucket name after the host")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    secure = query.get("secure", "1")
    if secure not in {"0", "1"}:
        raise ValueError("CITIZENVOICE_MEDIA_STORAGE: secure must be 0 or 1")
    timeout = float(query.get("timeout", "5"))
    if not 0 < timeout <= 60:
        raise ValueError("CITIZENVOICE_MEDIA_STORAGE: timeout must be in (0, 60] seconds")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    port = f":{parts.port}" if parts.port else ""
    prefix = query.get("prefix", "").strip("/")
    return S3Settings(
        endpoint=f"{'https' if secure == '1' else 'http'}://{host}{port}",
        bucket=bucket,
        access_key=unquote(parts.username),
        secret_key=unquote(parts.password),
        region=query.get("region", "us-east-1"),
        prefix=f"{prefix}/" if prefix else "",
        timeout=timeout,
    )


class S3Storage:
    """Objects ``[prefix/]ab/abcd....jpg`` in one private bucket."""

    def __init__(self, settings: S3Settings) -> None:
        """Make the client (no request is sent until the first save, read or delete)."""
        self.settings = settings
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.endpoint,
            region_name=settings.region,
            aws_access_key_id=settings.access_key,
            aws_secret_access_key=settings.secret_key,
            config=Config(
                connect_timeout=settings.timeout,
                read_timeout=settings.timeout,
                # One retry: a resident waits on the upload, and a down storage should be a
                # quick 503, not half a minute of backoff.
                retries={"max_attempts": 2, "mode": "standard"},
                signature_version="s3v4",
                s3={"addressing_style": "path"},
            ),
        )

    def _key(self, name: str) -> str:
        if not NAME_SHAPE.fullmatch(name):
            raise StoredFileMissing(name)
        return f"{self.settings.prefix}{name[:2]}/{name}"

    def save(self, data: bytes) -> str:
        """Put the object under a new random name (a PUT is atomic: all or nothing)."""
        name = f"{secrets.token_hex(16)}.jpg"
        key = self._key(name)
        try:
            self._client.put_object(
                Bucket=self.settings.bucket, Key=key, Body=data, ContentType="image/jpeg"
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(_describe(exc)) from exc
        return name

    def read(self, name: str) -> bytes:
        """The object's bytes; StoredFileMissing when there is none."""
        key = self._key(name)
        try:
            answer = self._client.get_object(Bucket=self.settings.bucket, Key=key)
            return bytes(answer["Body"].read())
        except ClientError as exc:
            if _code(exc) in _MISSING_CODES:
                raise StoredFileMissing(name) from None
            raise StorageUnavailable(_describe(exc)) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(_describe(exc)) from exc

    def delete(self, name: str) -> None:
        """Remove the object (S3 answers success for a key already gone)."""
        try:
            key = self._key(name)
        except StoredFileMissing:
            return
        try:
            self._client.delete_object(Bucket=self.settings.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) not in _MISSING_CODES:
                raise StorageUnavailable(_describe(exc)) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(_describe(exc)) from exc


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _describe(exc: Exception) -> str:
    """The error class and S3 code for the log: no key, secret or object content."""
    if isinstance(exc, ClientError):
        return f"S3 {_code(exc) or 'error'}"
    return f"S3 {type(exc).__name__}"
