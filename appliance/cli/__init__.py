"""The `appliance` command: a click group whose subcommands live one family per module.

Each module below defines its commands; this file only assembles them. Config is loaded here
once (from --config / APPLIANCE_CONFIG / APPLIANCE_* env) and handed down through the context,
and the root group is the one place where a failure that reaches it becomes a sentence.
Main thread only.
"""

from __future__ import annotations

import errno
from pathlib import Path

import click

from appliance import __version__
from appliance.config import Config, load_config
from appliance.errors import ApplianceError, ConfigError

# Where `make install` puts the box's config: admin commands on the box use it by default, so
# `appliance token show` reads the same state directory as the service.
SYSTEM_CONFIG = Path("/etc/appliance/appliance.toml")


class LazyConfig:
    """Loads the Config on first use, so `--help` and `--version` never read files."""

    def __init__(self, path: str | None):
        self.path = path
        self._config: Config | None = None

    def get(self, **overrides: object) -> Config:
        try:
            if self._config is None:
                path = self.path or (SYSTEM_CONFIG if SYSTEM_CONFIG.is_file() else None)
                self._config = load_config(path)
            return self._config.replace(**overrides) if overrides else self._config
        except ConfigError as exc:
            raise click.ClickException(exc.message) from None


# What to do about a file-system error, by errno; the error itself says what happened.
_OS_HINTS = {
    errno.ENOENT: "check the path",
    errno.EACCES: "run as the hub's user or with sudo",
    errno.EPERM: "run as the hub's user or with sudo",
    errno.EISDIR: "give a file, not a folder",
    errno.ENOTDIR: "a file stands where a folder is needed: check the path",
    errno.EEXIST: "a file stands where a folder is needed: check the path",
    errno.ENOSPC: "free some disk space",
    errno.EROFS: "the file system is read-only: choose another place",
}


def sentence(exc: BaseException) -> str:
    """What an operator reads for an error no command answered itself: what failed, what to do."""
    if isinstance(exc, ApplianceError):
        return exc.message
    if isinstance(exc, UnicodeDecodeError):
        return (f"the input is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position "
                f"{exc.start}): save it as UTF-8 and run the command again")
    if isinstance(exc, OSError):
        what = exc.strerror or str(exc) or type(exc).__name__
        where = f"{exc.filename}: " if exc.filename else ""
        hint = _OS_HINTS.get(exc.errno or 0)
        return f"{where}{what}" + (f" ({hint})" if hint else "")
    return str(exc)


class SentenceGroup(click.Group):
    """The root group: an ApplianceError, OSError or UnicodeDecodeError that a command lets
    through ends as click's `Error: <sentence>` (exit 1), never as a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (ApplianceError, UnicodeDecodeError) as exc:
            raise click.ClickException(sentence(exc)) from None
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # `appliance ... | head`: click ends quietly
                raise
            raise click.ClickException(sentence(exc)) from None


@click.group(cls=SentenceGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="appliance")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              envvar="APPLIANCE_CONFIG",
              help="TOML config file (default: /etc/appliance/appliance.toml if present, "
                   "else built-in settings).")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Phone-array hub: runs automation tasks on Android phones and serves the TikMatrix Local API v1."""
    ctx.obj = LazyConfig(config_path)


def _register() -> None:
    # One line per command family; each module exposes `commands` (a list of click commands).
    from appliance.cli import (
        accounts,
        db,
        demo,
        devices,
        doctor,
        gateway,
        groups,
        license,
        materials,
        schedules,
        serve,
        sim,
        status,
        tasks,
        token,
        ui,
    )

    for module in (serve, gateway, demo, sim, status, tasks, devices, groups, schedules, materials, ui,
                   accounts, license, token, db, doctor):
        for command in module.commands:
            main.add_command(command)


_register()
