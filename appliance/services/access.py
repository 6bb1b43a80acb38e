"""Who may call the Local API: loopback and trusted networks freely, anyone else with the token.

The token lives in `state_dir/api-token` (0600, created at first start, rotated by the admin CLI
while the hub runs); it is compared in constant time.
Called from request threads; the only state is a thread-safe CachedFile of the token.
"""

from __future__ import annotations

import hmac
import ipaddress
from pathlib import Path
from typing import Any

from appliance.services.statefiles import TOKEN_FILE, CachedFile, ensure_token


def caller_address(remote_addr: str | None):
    """The caller's IP (zone id dropped, IPv4-mapped IPv6 unwrapped), or None if unparsable."""
    try:
        addr = ipaddress.ip_address((remote_addr or "").split("%", 1)[0])
    except ValueError:
        return None
    return getattr(addr, "ipv4_mapped", None) or addr


def is_loopback(remote_addr: str | None) -> bool:
    addr = caller_address(remote_addr)
    return addr is not None and addr.is_loopback


class AccessService:
    def __init__(self, config: Any):
        ensure_token(Path(config.state_dir))
        self._token = CachedFile(Path(config.state_dir) / TOKEN_FILE)
        self._trusted = [ipaddress.ip_network(n) for n in config.trusted_networks]

    def is_trusted(self, remote_addr: str | None) -> bool:
        addr = caller_address(remote_addr)
        return addr is not None and (addr.is_loopback or any(addr in net for net in self._trusted))

    def token_ok(self, authorization: str | None) -> bool:
        token = self._token.read() or ""
        if not authorization or not token:
            return False
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(value.strip().encode(), token.encode())
