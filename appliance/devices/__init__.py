"""The devices layer: the hub's adb server, the client over ppadb, tracking and health.

See docs/ARCHITECTURE.md (devices). Everything here raises only `errors.DeviceError` subclasses.
Which thread owns what is said in each module.
"""

from appliance.devices.client import DeviceClient, ShellResult
from appliance.devices.quoting import quote
from appliance.devices.server import AdbServer, TcpPhones
from appliance.devices.tracker import DeviceInfo, DeviceTracker

__all__ = ["AdbServer", "DeviceClient", "DeviceInfo", "DeviceTracker", "ShellResult", "TcpPhones",
           "quote"]
