"""The phone-array hub appliance: task queue, device runner and TikMatrix Local API v1."""

__version__ = "0.1.0"
