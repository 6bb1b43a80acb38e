"""How admin commands reach the running hub: its HTTP API on loopback, with urllib (no new deps).

Also the small helpers those commands share: printing JSON, and writing state files as the
state directory's owner when run as root (so the `appliance` service user can still read them).
Main thread only.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from appliance.config import Config

_ANY_HOST = {"0.0.0.0", "::", "", "*"}


# The hub's operator surface (api/middleware.py OPERATOR_PREFIX): the Local API's routes under
# the same token rule, open on every plan, so `license set Starter` leaves the CLI working.
OPERATOR = "/ui/v1"
# The hub is on this box or the LAN: never through http_proxy, which would be sent the token.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))

class HubDown(click.ClickException):
    """No hub answers at the hub's address (nothing listens, or something that is not a hub,
    or no answer in time)."""


class HubError(click.ClickException):
    """The hub answered with an error envelope; the message is the hub's own sentence."""

    def __init__(self, message: str, code: int, data: object = None):
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.data = data


def base_url(config: Config) -> str:
    host = "127.0.0.1" if config.host in _ANY_HOST else config.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{config.port}"


class HubClient:
    """JSON calls to the hub; `call()` returns the envelope's `data` or raises HubDown/HubError."""

    def __init__(self, config: Config, timeout: float = 30.0):
        self.url = base_url(config)
        self.timeout = timeout
        # Imported here: the services package pulls in the store, and `--help` should stay quick.
        from appliance.services.statefiles import TOKEN_FILE

        self._token_path = Path(config.state_dir) / TOKEN_FILE

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        # Loopback needs no token; a hub bound to one address may see us as remote, so send it.
        with contextlib.suppress(OSError):
            headers["Authorization"] = "Bearer " + self._token_path.read_text().strip()
        return headers

    def raw(self, method: str, path: str, body: object = None,
            timeout: float | None = None) -> tuple[int, Any]:
        """(HTTP status, decoded JSON body); HubDown when nothing answers."""
        data = None if body is None else json.dumps(body).encode()
        headers = self._headers()
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        status, answer = self._send(request, timeout)
        return status, _decode(answer)

    def _send(self, request: urllib.request.Request, timeout: float | None) -> tuple[int, bytes]:
        """(HTTP status, body) of one request; HubDown when no hub answers it."""
        timeout = timeout or self.timeout
        try:
            with _DIRECT.open(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (TimeoutError, urllib.error.URLError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise HubDown(f"the hub at {self.url} did not answer within {timeout:g} s: it "
                              "may be busy; see `appliance status` or its log, then try "
                              "again") from None
            why = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
            raise HubDown(f"no hub answers at {self.url}: start it with `appliance serve` (or "
                          "`sudo systemctl start appliance`), or point --config / APPLIANCE_PORT "
                          f"at the hub's port ({str(why).lower()})") from None
        except ConnectionError:
            raise HubDown(f"the connection to {self.url} closed without an answer: if the hub "
                          "runs there, see its log (journalctl -u appliance); otherwise point "
                          "--config / APPLIANCE_PORT at the hub's port") from None
        except http.client.HTTPException:
            raise HubDown(f"something at {self.url} answers, but not in HTTP as the hub does: "
                          "point --config / APPLIANCE_PORT at the hub's port (50809 unless its "
                          "config says otherwise)") from None

    def call(self, method: str, path: str, body: object = None, timeout: float | None = None,
             prefix: str = OPERATOR) -> Any:
        status, answer = self.raw(method, prefix + path, body, timeout)
        if not isinstance(answer, dict) or "code" not in answer:
            raise _not_an_envelope(self.url, status)
        if answer["code"] != 0:
            raise HubError(answer.get("message") or "error", answer["code"], answer.get("data"))
        return answer.get("data")

    def get_bytes(self, path: str, timeout: float | None = None, prefix: str = OPERATOR) -> bytes:
        """The body of a GET that answers something other than JSON (PNG, XML); an error
        envelope raises HubError with the hub's sentence, no answer HubDown."""
        request = urllib.request.Request(self.url + prefix + path, headers=self._headers())
        status, body = self._send(request, timeout)
        if status == 200:
            return body
        answer = _decode(body)
        if not isinstance(answer, dict) or "code" not in answer:
            raise _not_an_envelope(self.url, status)
        raise HubError(answer.get("message") or "error", answer["code"], answer.get("data"))

    def health(self, timeout: float = 3.0) -> dict | None:
        """The hub's /healthz answer, or None when no hub answers there."""
        try:
            status, answer = self.raw("GET", "/healthz", timeout=timeout)
        except HubDown:
            return None
        if status == 200 and isinstance(answer, dict) and answer.get("status") == "ok":
            return answer
        return None


def _not_an_envelope(url: str, status: int) -> click.ClickException:
    return click.ClickException(f"the hub at {url} answered HTTP {status} without an envelope; "
                                "is another program on that port?")


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        return None


def client(ctx: click.Context, timeout: float = 30.0) -> HubClient:
    return HubClient(ctx.obj.get(), timeout=timeout)


def echo_json(value: object) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@contextlib.contextmanager
def as_state_owner(state_dir: Path) -> Iterator[None]:
    """Run as the state directory's owner when we are root: files written here stay readable
    by the service user (a root-owned 0600 token would lock the hub out of its own API)."""
    state_dir = Path(state_dir)
    if os.geteuid() != 0 or not state_dir.is_dir():
        yield
        return
    st = state_dir.stat()
    if st.st_uid == 0:
        yield
        return
    os.setegid(st.st_gid)
    os.seteuid(st.st_uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)
