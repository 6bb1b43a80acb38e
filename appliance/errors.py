"""The product's one error vocabulary: every failure a user can meet is one of these.

Each class carries the envelope `code` and HTTP status it maps to (docs/API.md, Error codes:
TikMatrix's and the hub's own); `api/envelope.py` is the one place that turns them into answers.
Messages are sentences for a person: what happened and what to do.
"""

from __future__ import annotations

from typing import Any


class ApplianceError(Exception):
    """Base of every error the product raises on purpose."""

    code = 50001
    http_status = 500

    def __init__(self, message: str, data: Any = None):
        super().__init__(message)
        self.message = message
        self.data = data


class InvalidParams(ApplianceError):
    """Bad JSON, wrong type, out of range, or an illegal state change; the message names it."""

    code, http_status = 40001, 400


class ScriptNameMissing(ApplianceError):
    code, http_status = 40002, 400


class ScriptNotSupported(ApplianceError):
    code, http_status = 40003, 400


class NoMatchingAccount(ApplianceError):
    code, http_status = 40004, 400


class Unauthorized(ApplianceError):
    code, http_status = 40101, 401


class PlanForbidsApi(ApplianceError):
    code, http_status = 40301, 403


class NotFound(ApplianceError):
    code, http_status = 40401, 404


class MethodNotAllowed(ApplianceError):
    code, http_status = 40501, 405


class BodyTooLarge(ApplianceError):
    code, http_status = 41301, 413


class InternalError(ApplianceError):
    code, http_status = 50001, 500


class Busy(ApplianceError):
    """The hub is at a limit its config sets (open event streams); retry later. The API's only
    unavailable code is 50301 (docs/API.md, Error codes), so it is shared with the device errors below."""

    code, http_status = 50301, 503


class ConfigError(ApplianceError):
    """A setting is unknown or has a bad value; raised at start-up, never over HTTP."""


class StoreError(ApplianceError):
    """The store cannot be opened or written (corrupt file, disk full, locked by another hub)."""


# --- devices (codes this hub adds beyond TikMatrix's: docs/API.md, Error codes; OpenAPI document) ---


class DeviceError(ApplianceError):
    """A phone or the adb server could not do what was asked."""

    code, http_status = 50301, 503


class DeviceNotFound(DeviceError):
    code, http_status = 40401, 404


class DeviceOffline(DeviceError):
    """The phone is known but not in state `device` (offline, absent, rebooting)."""


class DeviceUnauthorized(DeviceError):
    """The phone has not accepted this hub's adb key (USB debugging prompt)."""


class DeviceLost(DeviceError):
    """The phone went away while a command was running on it."""


class AdbServerDown(DeviceError):
    """The hub's adb server is not answering (it is being restarted)."""


class DeviceTimeout(DeviceError):
    """A call on a phone did not finish inside its deadline."""

    code, http_status = 50401, 504


class DeviceCommandFailed(DeviceError):
    """A command ran on the phone and failed (push/pull checksum mismatch, non-zero status)."""


class ScreenNotIdle(DeviceError):
    """`uiautomator dump` kept answering "could not get idle state" (a video plays); the hub
    does not tap to pause it on an operator's read-only request."""


class Cancelled(DeviceError):
    """A call on a phone was aborted through its cancel event (task stopped); not the phone's fault."""


class FeatureDisabled(ApplianceError):
    """A feature this hub's config turns off (the device shell API); the message names the setting.

    Not 40301: that code tells clients their plan lacks the API, which would send them to upgrade.
    """

    code, http_status = 40302, 403
