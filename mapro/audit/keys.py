"""
The audit key: it signs every event (a MAC of its hash) and every anchor line, and is never stored in the
database, so someone who can write the database cannot forge what mapro wrote.

The key is `MAPRO_AUDIT_KEY` (setting `AUDIT_KEY` wins, for tests), or else one derived from
`SECRET_KEY`. Keys that signed earlier writings stay usable for verification: the key derived from
`SECRET_KEY` and from each of `SECRET_KEY_FALLBACKS`, and `MAPRO_AUDIT_OLD_KEYS` (comma-separated).
docs/decisions/0012-audit-anchors.md says why a key of its own is recommended.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.crypto import salted_hmac


@dataclass(frozen=True)
class AuditKey:
    secret: bytes
    kid: str  # names the key in anchor lines without revealing it
    source: str  # where it came from
    _prepared: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_prepared", hmac.new(self.secret, digestmod=hashlib.sha256))

    def sign(self, message: bytes) -> str:
        mac = self._prepared.copy()  # the key's pads computed once
        mac.update(message)
        return mac.hexdigest()


def _key(secret: bytes, source: str) -> AuditKey:
    return AuditKey(secret, hashlib.sha256(b"mapro.audit.kid:" + secret).hexdigest()[:12], source)


def _derived(secret_key: str) -> bytes:
    return salted_hmac("mapro.audit", "event-and-anchor-mac", secret=secret_key, algorithm="sha256").digest()


def _keys(own: str, old: str, secret_key: str, fallbacks: tuple[str, ...]) -> tuple[AuditKey, ...]:
    # The derived keys stay usable for verification after MAPRO_AUDIT_KEY is set: what was signed before.
    keys = [_key(own.encode(), "MAPRO_AUDIT_KEY")] if own else []
    keys += [_key(_derived(secret_key), "derivada de SECRET_KEY")]
    keys += [_key(_derived(k), "derivada de SECRET_KEY_FALLBACKS") for k in fallbacks]
    keys += [_key(k.strip().encode(), "MAPRO_AUDIT_OLD_KEYS") for k in old.split(",") if k.strip()]
    return tuple(keys)


_cached: tuple[AuditKey, ...] = ()


def audit_keys() -> tuple[AuditKey, ...]:
    """The current key first, then the keys kept only to verify older writings (read once per process)."""
    global _cached
    if not _cached:
        _cached = _keys(
            getattr(settings, "AUDIT_KEY", None) or os.environ.get("MAPRO_AUDIT_KEY", ""),
            os.environ.get("MAPRO_AUDIT_OLD_KEYS", ""),
            settings.SECRET_KEY,
            tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())),
        )
    return _cached


def _forget(*, setting: str, **kwargs: Any) -> None:
    global _cached
    if setting in ("AUDIT_KEY", "SECRET_KEY", "SECRET_KEY_FALLBACKS"):
        _cached = ()


setting_changed.connect(_forget, dispatch_uid="audit-keys-forget")


def event_mac(event_hash: str) -> str:
    """The MAC that vouches for an event: it covers the hash, hence its content and its place in the chain."""
    return audit_keys()[0].sign(b"event:" + event_hash.encode())


def event_mac_valid(event_hash: str, mac: str) -> bool:
    message = b"event:" + event_hash.encode()
    return any(hmac.compare_digest(key.sign(message), mac) for key in audit_keys())
