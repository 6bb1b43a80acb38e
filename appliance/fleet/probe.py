"""`appliance doctor`'s broker probe (issue 17): log in to `fleet_broker` as this box's broker
user and leave. Used only when no hub or gateway of this box runs (with the broker's
`use_username_as_clientid`, a second login as the same user would take over its session).
Called from the doctor's (main) thread; the link's own thread does the I/O.
"""

from __future__ import annotations

import logging
import time
import uuid

from appliance.config import Config
from appliance.fleet import topics
from appliance.fleet.link import Link


def probe_broker(config: Config, timeout: float = 5.0) -> str | None:
    """Connect to `fleet_broker` as this box's broker user (a hub's `hub-N`, else `gateway`)
    and leave. A broker with `use_username_as_clientid` gives it the user's client id: call it
    only when no process of this box is logged in as that user (see `appliance doctor`).
    None when the broker took the credentials within `timeout` s, else what failed and what to
    do (`appliance doctor`)."""
    user = topics.hub_name(int(config.fleet_hub)) if int(config.fleet_hub) else "gateway"
    link = Link(f"doctor-{uuid.uuid4().hex[:8]}", user, config.fleet_password,
                config.fleet_broker, keepalive=max(5, int(config.fleet_keepalive)),
                ca_file=config.fleet_ca_file)
    quiet = logging.getLogger("appliance.fleet")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)   # the answer says it once; the link's log would repeat it
    link.start()
    deadline = time.monotonic() + timeout
    try:
        while not link.wait_connected(0.1):
            # A refusal is final (paho would only retry it): say so at once.
            if "refused" in link.last_error or time.monotonic() > deadline:
                break
        else:
            return None
        error = link.last_error
    finally:
        link.stop()
        quiet.setLevel(level)
    if "refused user" in error or "refused the connection" in error:
        return error
    tls = str(config.fleet_broker).startswith("mqtts://")
    hint = (" (TLS: check fleet_ca_file and that the broker's certificate names this host)"
            if tls else "")
    return (f"no answer from the broker {config.fleet_broker} as user {user!r} within "
            f"{timeout:g} s{hint}: {error or 'nothing answered'}; check that mosquitto runs "
            "(systemctl status mosquitto), its listener address and port, and the firewall")
