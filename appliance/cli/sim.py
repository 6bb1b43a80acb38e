"""`appliance sim`: run simulated phones in the foreground and print how to attach them.

Main thread only: starts a SimFarm, prints one `adb connect` line per phone, then (optionally)
prints each phone's new app records and shell commands until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import json
import signal
import threading

import click


def _listed(values: tuple[str, ...], kind=str) -> list:
    """Repeatable options that also take comma lists: ("1,2", "3") -> [1, 2, 3]."""
    return [kind(part.strip()) for value in values for part in value.split(",") if part.strip()]


def _span(value: str | None):
    """"LO" or "LO,HI" (seconds) -> (lo, hi), None when not given."""
    if value is None:
        return None
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected LO or LO,HI (seconds)") from None
    if len(numbers) not in (1, 2) or min(numbers) < 0:
        raise click.BadParameter(f"{value!r}: expected LO or LO,HI (seconds, >= 0)")
    return (numbers[0], numbers[-1])


def phone_options(app_builds, locales, dump_seconds, idle_fail_rate, upload_seconds) -> dict:
    """The SimFarm keywords the options ask for (absent ones keep the real phone's figures)."""
    try:
        builds = _listed(app_builds, int)
    except ValueError:
        raise click.BadParameter("expected integers", param_hint="--app-build") from None
    options: dict = {"app_build": builds or None, "locale": _listed(locales) or "en"}
    settings = {"dump_seconds": _span(dump_seconds), "upload_seconds": _span(upload_seconds),
                "idle_fail_rate": idle_fail_rate}
    options["phone_settings"] = {k: v for k, v in settings.items() if v is not None}
    return options


@click.command()
@click.option("--phones", "count", type=click.IntRange(1, 1000), default=5, show_default=True,
              help="How many phones to simulate.")
@click.option("--base-port", type=click.IntRange(1, 65535), default=None,
              help="First TCP port (consecutive ports follow); default: free ports. "
                   "5555-5585 are refused.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Seed for models, videos and popups.")
@click.option("--adb-port", type=int, default=None,
              help="Print the connect lines for an adb server on this port.")
@click.option("--records/--no-records", default=True, show_default=True,
              help="Print what the simulated app records (posts, follows, likes...).")
@click.option("--commands", "show_commands", is_flag=True,
              help="Print every shell command the phones receive.")
@click.option("--duration", type=click.FloatRange(0), default=None,
              help="Stop by itself after this many seconds.")
@click.option("--app-build", "app_builds", multiple=True, metavar="N[,N...]",
              help="The app build per phone, round robin (repeatable or a comma list; default 1).")
@click.option("--locale", "locales", multiple=True, metavar="en|fr",
              help="The phones' language, round robin (repeatable or a comma list; default en).")
@click.option("--dump-seconds", default=None, metavar="LO[,HI]",
              help="How long `uiautomator dump` takes (default 1,3 as on a phone).")
@click.option("--idle-fail-rate", type=click.FloatRange(0, 1), default=None,
              help="Chance a dump fails while a video plays (default 0.7).")
@click.option("--upload-seconds", default=None, metavar="LO[,HI]",
              help="How long a post uploads (default 20,40).")
def sim(count: int, base_port: int | None, seed: int, adb_port: int | None, records: bool,
        show_commands: bool, duration: float | None, app_builds: tuple[str, ...], locales: tuple[str, ...],
        dump_seconds: str | None, idle_fail_rate: float | None, upload_seconds: str | None) -> None:
    """Run simulated Android phones that `adb connect` attaches like Wi-Fi phones."""
    from appliance.sim import SimFarm

    options = phone_options(app_builds, locales, dump_seconds, idle_fail_rate, upload_seconds)
    try:
        farm = SimFarm(count=count, base_port=base_port, seed=seed, **options)
        farm.start()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--base-port") from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen: {exc.strerror or exc}; choose another --base-port") from None
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    adb = f"adb -P {adb_port}" if adb_port else "adb"
    try:
        for phone in farm.phones:
            click.echo(f"{adb} connect {phone.address}    # {phone.serial} {phone.model} "
                       f"(Android {phone.props['ro.build.version.release']}, app build "
                       f"{phone.settings['app_build']}, {phone.settings['locale']})")
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
