"""`appliance status`: what the running hub says about itself (version, plan, phones, tasks, adb).

Read-only calls to the hub's API on loopback; a hub that does not answer is an error with the
command that starts it. Main thread only.
"""

from __future__ import annotations

from typing import Any

import click

from appliance.cli.hubclient import HubError, client, echo_json


def _plan(hub) -> dict:
    try:
        return hub.call("GET", "/license/check")
    except HubError as exc:
        if exc.code == 40301 and isinstance(exc.data, dict):
            return exc.data  # Starter: the check answers 40301 with the plan as data
        raise


def _devices(hub, health: dict) -> tuple[list | None, str]:
    """(the hub's phones, or None with the reason when it cannot list them)."""
    if isinstance(health.get("devices"), list):
        return health["devices"], ""
    try:
        data = hub.call("GET", "/device")
    except HubError as exc:
        if exc.code in (40401, 40501, 40301, 50301):
            return None, str(exc.message).split(" (code")[0]
        raise
    if isinstance(data, dict):
        data = data.get("devices", data.get("items"))
    return (data, "") if isinstance(data, list) else (None, "the hub's device list has an unknown shape")


def probe_adb(port: int, timeout: float = 2.0) -> dict:
    """Ask the adb server on loopback for its version (`host:version`), as adb itself does."""
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"000chost:version")
            reply = b""
            while len(reply) < 12:
                chunk = sock.recv(12 - len(reply))
                if not chunk:
                    break
                reply += chunk
    except OSError as exc:
        return {"running": False, "port": port, "error": exc.strerror or str(exc)}
    if reply[:4] != b"OKAY" or len(reply) < 12:
        return {"running": False, "port": port, "error": "something else answers on that port"}
    return {"running": True, "port": port, "version": int(reply[8:12], 16)}


def gather(hub, adb_port: int | None = None) -> dict[str, Any]:
    health = hub.health(timeout=5)
    if health is None:
        hub.call("GET", "/task/stats")  # raises HubDown with the start hint, or the hub's error
        health = {}
    plan = _plan(hub)
    stats = hub.call("GET", "/task/stats") if plan.get("api_enabled", True) else None
    devices, why = (_devices(hub, health) if plan.get("api_enabled", True)
                    else (None, "the plan closes the API"))
    phones = None
    if devices is not None:
        states: dict[str, int] = {}
        for device in devices:
            state = device.get("state", "unknown") if isinstance(device, dict) else "unknown"
            states[state] = states.get(state, 0) + 1
        phones = {"total": len(devices), "by_state": states}
    else:
        phones = {"total": None, "by_state": {}, "unknown_because": why}
    return {"url": hub.url, "version": health.get("version"), "plan": plan, "phones": phones,
            "tasks": stats,
            "adb": health.get("adb") or (probe_adb(adb_port) if adb_port is not None else None)}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show the running hub's version, plan, phones, task counts and adb server."""
    config = ctx.obj.get()
    info = gather(client(ctx, timeout=10), config.adb_port if config.adb_enabled else None)
    if as_json:
        echo_json(info)
        return
    plan = info["plan"]
    click.echo(f"hub:     {info['url']} (version {info['version'] or 'unknown'})")
    api = "API on" if plan.get("api_enabled") else "no API access"
    click.echo(f"plan:    {plan.get('plan_name')} ({api}, up to {plan.get('device_limit')} devices at once)")
    phones = info["phones"]
    if phones["total"] is None:
        click.echo(f"phones:  unknown ({phones['unknown_because']})")
    else:
        states = ", ".join(f"{n} {s}" for s, n in sorted(phones["by_state"].items())) or "none connected"
        click.echo(f"phones:  {phones['total']} ({states})")
    stats = info["tasks"]
    if stats is None:
        click.echo("tasks:   unknown (the plan closes the API)")
    else:
        click.echo(f"tasks:   {stats['total']} total: {stats['pending']} pending, {stats['running']} "
                   f"running, {stats['completed']} completed, {stats['failed']} failed")
    adb = info["adb"]
    if isinstance(adb, dict):
        state = "server running" if adb.get("running", adb.get("ok")) else "server down"
        extra = ", ".join(f"{k} {v}" for k, v in adb.items() if k not in ("running", "ok"))
        click.echo(f"adb:     {state}" + (f" ({extra})" if extra else ""))
    elif adb is not None:
        click.echo(f"adb:     {adb}")
    else:
        click.echo("adb:     disabled in the config")


commands = [status]
