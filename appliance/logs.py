"""Where the hub's log lines go and how they look: `setup_logging(config)` on the root logger.

One stderr handler of ours, text or JSON (one object per line), at `log_level`; `access_log` turns
the `appliance.access` logger on or off. Under systemd (JOURNAL_STREAM names our stderr) text lines
carry a `<N>` priority instead of a timestamp: journald stamps each line itself. Called by the main
thread at start and again on SIGHUP (it swaps formatter and levels in place, no line is lost).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TextIO

if TYPE_CHECKING:  # for annotations only
    from appliance.config import Config

HANDLER_NAME = "appliance"
ACCESS_LOGGER = "appliance.access"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}
TEXT = "%(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """{"ts", "level", "logger", "message"} plus "exc" (the traceback text) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created).astimezone().isoformat(
                timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class JournalFormatter(logging.Formatter):
    """Text without a timestamp, prefixed with the syslog priority journald reads
    (SyslogLevelPrefix), so `journalctl -p warning` filters the hub's lines by level."""

    PRIORITIES: ClassVar[dict[int, int]] = {
        logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}

    def format(self, record: logging.LogRecord) -> str:
        priority = self.PRIORITIES.get(record.levelno, 6 if record.levelno < logging.WARNING else 3)
        # Every line: journald reads the prefix per line, so a traceback keeps its record's level.
        return "\n".join(f"<{priority}>{line}" for line in super().format(record).splitlines())


def under_journald(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """systemd connected `stream` to the journal: JOURNAL_STREAM is "dev:inode" of that very file
    (a child whose stderr was redirected elsewhere inherits the variable, not the journal)."""
    dev, _, inode = (os.environ if env is None else env).get("JOURNAL_STREAM", "").partition(":")
    if not (dev.isdigit() and inode.isdigit()):
        return False
    try:
        stat = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (stat.st_dev, stat.st_ino) == (int(dev), int(inode))


def formatter(log_format: str, journald: bool) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    if journald:
        return JournalFormatter(TEXT)
    return logging.Formatter("%(asctime)s " + TEXT)


def setup_logging(config: Config, stream: TextIO | None = None) -> None:
    """Apply `log_level`, `log_format` and `access_log`; calling it again changes them live."""
    stream = stream or sys.stderr
    root = logging.getLogger()
    handler = next((h for h in root.handlers
                    if isinstance(h, logging.StreamHandler) and h.get_name() == HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler(stream)
        handler.set_name(HANDLER_NAME)
        root.addHandler(handler)
    handler.setFormatter(formatter(config.log_format, under_journald(handler.stream)))
    root.setLevel(LEVELS[config.log_level])
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.NOTSET if config.access_log
                                              else logging.WARNING)
