"""`appliance sim`: run simulated phones in the foreground and print how to attach them.

Main thread only: starts a SimFarm, prints one `adb connect` line per phone, then (optionally)
prints each phone's new app records and shell commands until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import json
import signal
import threading

import click


@click.command()
@click.option("--phones", "count", type=click.IntRange(1, 1000), default=5, show_default=True,
              help="How many phones to simulate.")
@click.option("--base-port", type=click.IntRange(1, 65535), default=None,
              help="First TCP port (consecutive ports follow); default: free ports. 5555-5585 are refused.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed for models, videos and popups.")
@click.option("--adb-port", type=int, default=None, help="Print the connect lines for an adb server on this port.")
@click.option("--records/--no-records", default=True, show_default=True,
              help="Print what the simulated app records (posts, follows, likes...).")
@click.option("--commands", "show_commands", is_flag=True, help="Print every shell command the phones receive.")
@click.option("--duration", type=click.FloatRange(0), default=None, help="Stop by itself after this many seconds.")
def sim(count: int, base_port: int | None, seed: int, adb_port: int | None, records: bool,
        show_commands: bool, duration: float | None) -> None:
    """Run simulated Android phones that `adb connect` attaches like Wi-Fi phones."""
    from appliance.sim import SimFarm

    try:
        farm = SimFarm(count=count, base_port=base_port, seed=seed)
        farm.start()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--base-port") from None
    except OSError as exc:
        raise click.ClickException(f"cannot listen: {exc.strerror or exc}; choose another --base-port") from None
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    adb = f"adb -P {adb_port}" if adb_port else "adb"
    try:
        for phone in farm.phones:
            click.echo(f"{adb} connect {phone.address}    # {phone.serial} {phone.model}")
        click.echo(f"{count} simulated phone(s) running; Ctrl-C to stop.", err=True)
        seen_records = {phone.serial: 0 for phone in farm.phones}
        seen_commands = {phone.serial: 0 for phone in farm.phones}
        deadline = None if duration is None else threading.Timer(duration, stop.set)
        if deadline is not None:
            deadline.daemon = True
            deadline.start()
        while not stop.wait(0.5):
            for phone in farm.phones:
                if show_commands:
                    log = phone.command_log[seen_commands[phone.serial]:]
                    seen_commands[phone.serial] += len(log)
                    for line in log:
                        click.echo(f"{phone.serial} $ {line}")
                if records:
                    new = phone.app_records()[seen_records[phone.serial]:]
                    seen_records[phone.serial] += len(new)
                    for record in new:
                        click.echo(f"{phone.serial} {json.dumps(record, ensure_ascii=False, default=str)}")
    finally:
        farm.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


commands = [sim]
