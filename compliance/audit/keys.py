"""The audit key: an HMAC-SHA256 secret (RFC 2104) from a file or the environment, never written to the log.

``--audit-key-file FILE`` (or ``COMPLIANCE_AUDIT_KEY_FILE``) names a file holding the key; else
``COMPLIANCE_AUDIT_KEY`` holds it. Surrounding whitespace is dropped; at least 32 bytes are required
(``openssl rand -hex 32`` gives 64). A receipt names the key by ``key_id`` (a hash of the key, not the key),
so ``verify`` can tell "a different key" from "forged".
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path

from compliance.errors import InputError, Location, Problem

__all__ = ["ENV_KEY", "ENV_KEY_FILE", "MIN_KEY_BYTES", "AuditKey", "load_key"]

ENV_KEY = "COMPLIANCE_AUDIT_KEY"
ENV_KEY_FILE = "COMPLIANCE_AUDIT_KEY_FILE"
MIN_KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class AuditKey:
    secret: bytes = field(repr=False)
    source: str  # where it came from, for messages (a path or the variable's name; never the key)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"compliance-audit-key-id\x00" + self.secret).hexdigest()[:16]

    def mac(self, message: bytes) -> str:
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def verify(self, message: bytes, mac: object) -> bool:
        return isinstance(mac, str) and hmac.compare_digest(self.mac(message), mac)


def load_key(path: str | None = None, environ: dict[str, str] | None = None) -> AuditKey | None:
    """The key from ``path``, else the environment; None when none is configured. Problems are :class:`InputError`."""
    env = os.environ if environ is None else environ
    where = path or env.get(ENV_KEY_FILE) or None
    if where:
        try:
            secret = Path(where).read_bytes().strip()
        except OSError as exc:
            raise InputError(
                [Problem(Location(where), "audit-key", f"cannot read the audit key: {exc.strerror or exc}")]
            ) from None
        return _checked(secret, where)
    text = env.get(ENV_KEY)
    if not text:  # unset, or set to nothing: no key
        return None
    return _checked(text.strip().encode("utf-8"), ENV_KEY)


def _checked(secret: bytes, source: str) -> AuditKey:
    if len(secret) < MIN_KEY_BYTES:
        raise InputError(
            [
                Problem(
                    Location(source),
                    "audit-key",
                    f"the audit key has {len(secret)} bytes; at least {MIN_KEY_BYTES} are required",
                    help="generate one with `openssl rand -hex 32` and keep it away from the log",
                )
            ]
        )
    return AuditKey(secret, source)
