"""API keys: who may ask (``read``) and who may change documents (``admin``).

Keys come from settings (``auth.read_keys`` / ``auth.admin_keys``) and from an optional
keys file. Only SHA-256 digests are kept: a key given in clear in the environment is
hashed on load, and the keys file holds digests only, so a leaked file or memory dump
does not leak usable keys. The file is re-read when it changes (checked at most every
``auth.reload_interval_s``), so keys rotate without a restart.

Keys file format, one key per line, ``#`` starts a comment::

    # name        scope   digest
    intranet-bot  read    sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
    ops           admin   sha256:...

``python -m service.auth new NAME SCOPE`` prints a fresh key once and the line to add.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from service.settings import AuthSettings

log = logging.getLogger(__name__)

Scope = Literal["read", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "admin")
_DIGEST = re.compile(r"^sha256:([0-9a-f]{64})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class KeysFileError(ValueError):
    """The keys file cannot be used (unreadable or malformed); the message names the line."""


@dataclass(frozen=True)
class Principal:
    """Who made a request: the key's name (never the key) and its scope."""

    name: str
    scope: Scope

    def allows(self, needed: Scope) -> bool:
        return self.scope == "admin" or needed == "read"


def digest(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _as_digest(value: str) -> str:
    """A configured key or digest, as a digest."""
    value = value.strip()
    return value.lower() if _DIGEST.match(value.lower()) else digest(value)


def parse_keys_file(text: str, origin: str = "keys file") -> dict[str, Principal]:
    """Digest → principal. Raises :class:`KeysFileError` naming the bad line."""
    out: dict[str, Principal] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 3:
            raise KeysFileError(f"{origin}:{number}: expected `name scope sha256:<hex>`")
        name, scope, dig = parts
        if not _NAME.match(name):
            raise KeysFileError(f"{origin}:{number}: invalid key name {name!r}")
        if scope not in SCOPES:
            raise KeysFileError(f"{origin}:{number}: scope must be one of {', '.join(SCOPES)}")
        if not _DIGEST.match(dig.lower()):
            # Never echo the value: it may be a key pasted in clear by mistake.
            raise KeysFileError(f"{origin}:{number}: the third field must be sha256:<64 hex>")
        out[dig.lower()] = Principal(name, scope)
    return out


class KeyRing:
    """The current keys; thread-safe; cheap to ask (a hash and a dict lookup)."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._static: dict[str, Principal] = {}
        for i, secret in enumerate(settings.read_keys):
            self._static[_as_digest(secret.get_secret_value())] = Principal(f"env-read-{i}", "read")
        for i, secret in enumerate(settings.admin_keys):
            self._static[_as_digest(secret.get_secret_value())] = Principal(
                f"env-admin-{i}", "admin"
            )
        self._file: dict[str, Principal] = {}
        self._file_stamp: tuple[int, int, int] | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        if settings.keys_file is not None:
            self._reload(force=True)  # a broken file at start-up is a configuration error

    @property
    def enabled(self) -> bool:
        """Auth is on as soon as any key source is configured (a keys file, even empty)."""
        return bool(self._static) or self.settings.keys_file is not None

    def authenticate(self, key: str) -> Principal | None:
        self.maybe_reload()
        dig = digest(key)
        return self._static.get(dig) or self._file.get(dig)

    def maybe_reload(self) -> None:
        if self.settings.keys_file is None:
            return
        now = time.monotonic()
        if now - self._checked_at < self.settings.reload_interval_s:
            return
        with self._lock:
            if now - self._checked_at < self.settings.reload_interval_s:
                return
            try:
                self._reload(force=False)
            except (OSError, KeysFileError) as exc:
                # Keep the last good keys: a half-written file must not lock everyone out.
                log.error("keys file not reloaded, keeping %d keys: %s", len(self._file), exc)
            self._checked_at = time.monotonic()

    def _reload(self, force: bool) -> None:
        path = Path(self.settings.keys_file)  # type: ignore[arg-type]
        try:
            st = os.stat(path)
        except OSError as exc:
            raise KeysFileError(f"cannot read keys file {path}: {exc.strerror}") from exc
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if not force and stamp == self._file_stamp:
            return
        keys = parse_keys_file(path.read_text(encoding="utf-8"), str(path))
        self._file, self._file_stamp = keys, stamp
        log.info("keys file loaded: %d keys from %s", len(keys), path)
