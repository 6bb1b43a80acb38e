"""Simulated phones: an emulated adbd the real adb server attaches with `adb connect`, a small
virtual Android behind its shell, and faults to switch at run time. Imports nothing of the product.
"""

from appliance.sim.farm import SimFarm
from appliance.sim.phone import FAULTS, SimPhone

__all__ = ["FAULTS", "SimFarm", "SimPhone"]
