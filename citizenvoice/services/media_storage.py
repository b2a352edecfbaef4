"""Where photo files live, behind one small interface (issue 23).

:class:`MediaStorage` is what the rest of the code uses: ``save`` bytes under a new random
name, ``read`` and ``delete`` by that name. :class:`FilesystemStorage` keeps the files in a
folder (``CITIZENVOICE_MEDIA_DIR``, default ``instance/media``), written to a temporary file
and renamed so a reader never sees half a photo. Names are 128 random bits in hex, never
derived from the upload, and a name that is not of that shape is refused before any path is
built, so no address can reach another file. An S3-compatible adapter would implement the
same three methods; it is not written yet (docs/photos.md).
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Protocol

__all__ = ["FilesystemStorage", "MediaStorage", "StoredFileMissing"]

_NAME = re.compile(r"[0-9a-f]{32}\.jpg")


class StoredFileMissing(LookupError):
    """No stored file by that name (or a name no storage could have made)."""


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
