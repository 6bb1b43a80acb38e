"""Who may call the Local API: loopback and trusted networks freely, anyone else with the token.

The free pass also needs a Host header that names the hub (DNS rebinding: a web page under a
name of its own that resolves to 127.0.0.1 must not pass as loopback). The token lives in
`state_dir/api-token` (0600, created at first start, rotated by the admin CLI while the hub
runs); it is compared in constant time.
Called from request threads; the only state is a thread-safe CachedFile of the token.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.services.statefiles import TOKEN_FILE, CachedFile, ensure_token

if TYPE_CHECKING:
    from appliance.config import Config


def caller_address(remote_addr: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The caller's IP (zone id dropped, IPv4-mapped IPv6 unwrapped), or None if unparsable."""
    try:
        addr = ipaddress.ip_address((remote_addr or "").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def is_loopback(remote_addr: str | None) -> bool:
    addr = caller_address(remote_addr)
    return addr is not None and addr.is_loopback


def host_name(host_header: str) -> str:
    """The name part of a Host header, lower-cased, without port, brackets or trailing dot."""
    host = host_header.strip().lower()
    if host.startswith("["):                      # [::1]:50809
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:                      # name:port (more colons: a bare IPv6)
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _box_names() -> set[str]:
    """The box's own host name, its FQDN and its mDNS name (raspberrypi, raspberrypi.local)."""
    names: set[str] = set()
    for name in (socket.gethostname(), socket.getfqdn()):
        name = name.strip().lower().rstrip(".")
        if name:
            names.update((name, name.split(".", 1)[0] + ".local"))
    return names


class AccessService:
    def __init__(self, config: Config):
        ensure_token(Path(config.state_dir))
        self._token = CachedFile(Path(config.state_dir) / TOKEN_FILE)
        self._trusted = [ipaddress.ip_network(n) for n in config.trusted_networks]
        self._names = {"localhost", *_box_names(), *config.server_names}
        # Both answers depend only on their argument: cached per hub (every request asks; a few
        # thousand client addresses and Host values at most are kept, least recently used out).
        self.is_trusted = functools.lru_cache(maxsize=4096)(self._is_trusted)
        self.names_hub = functools.lru_cache(maxsize=1024)(self._names_hub)

    def _names_hub(self, host_header: str | None) -> bool:
        """The Host header names this hub: no header (not a browser: HTTP/1.1 browsers always
        send one), an IP address (a browser sends the address it connected to, so that is this
        box; rebinding needs a DNS name), localhost and *.localhost (never resolved by DNS), the
        box's own names, or a configured `server_names` entry."""
        if host_header is None:
            return True
        name = host_name(host_header)
        if not name:
            return False
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            pass
        return name in self._names or name.endswith(".localhost")

    def _is_trusted(self, remote_addr: str | None) -> bool:
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
