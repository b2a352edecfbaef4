"""Where photo files live, behind one small interface (issue 23).

:class:`MediaStorage` is what the rest of the code uses: ``save`` bytes under a new random
name, ``read`` and ``delete`` by that name. :class:`FilesystemStorage` keeps the files in a
folder (``CITIZENVOICE_MEDIA_DIR``, default ``instance/media``), written to a temporary file
and renamed so a reader never sees half a photo. Names are 128 random bits in hex, never
derived from the upload, and a name that is not of that shape is refused before any path is
built, so no address can reach another file. :class:`~citizenvoice.services.s3_storage.S3Storage`
implements the same three methods against an S3-compatible bucket; :func:`storage_from_setting`
picks one from ``CITIZENVOICE_MEDIA_STORAGE`` (docs/photos.md).
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "NAME_SHAPE",
    "FilesystemStorage",
    "MediaStorage",
    "StorageUnavailable",
    "StoredFileMissing",
    "storage_from_setting",
]

# The only names any storage makes: 128 random bits in hex. Anything else is refused before a
# path or an object key is built from it.
NAME_SHAPE = re.compile(r"[0-9a-f]{32}\.jpg")
_NAME = NAME_SHAPE


class StoredFileMissing(LookupError):
    """No stored file by that name (or a name no storage could have made)."""


class StorageUnavailable(RuntimeError):
    """The storage cannot be reached or refused the request (the views answer 503)."""


class MediaStorage(Protocol):
    """A place for photo files named by the storage itself."""

    def save(self, data: bytes) -> str:
        """Store ``data`` under a new random name and return the name."""

    def read(self, name: str) -> bytes:
        """The bytes stored under ``name``; StoredFileMissing when there are none."""

    def delete(self, name: str) -> None:
        """Remove ``name``; nothing happens when it is already gone."""


class FilesystemStorage:
    """Files in one folder, sharded by the first two hex digits of the name."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        """Use ``root`` (created on the first save)."""
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        if not _NAME.fullmatch(name):
            raise StoredFileMissing(name)
        return self.root / name[:2] / name

    def save(self, data: bytes) -> str:
        """Write atomically (temporary file, then rename) under a new random name."""
        name = f"{secrets.token_hex(16)}.jpg"
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return name

    def read(self, name: str) -> bytes:
        """The stored bytes."""
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            raise StoredFileMissing(name) from None

    def delete(self, name: str) -> None:
        """Remove the file if it is there."""
        try:
            self._path(name).unlink(missing_ok=True)
        except StoredFileMissing:
            return


def storage_from_setting(config: Mapping[str, object]) -> MediaStorage:
    """The storage ``MEDIA_STORAGE`` names: empty or ``filesystem`` -> ``MEDIA_DIR``; ``s3://``.

    Raises ValueError for any other value (at startup, see config).
    """
    value = str(config.get("MEDIA_STORAGE") or "filesystem")
    if value == "filesystem":
        return FilesystemStorage(str(config["MEDIA_DIR"]))
    if value.startswith("s3://"):
        # Imported here: boto3 takes a noticeable time to import, and most installs never use it.
        from citizenvoice.services.s3_storage import S3Storage, parse_s3_url

        return S3Storage(parse_s3_url(value))
    raise ValueError("CITIZENVOICE_MEDIA_STORAGE: use filesystem or s3://...")
