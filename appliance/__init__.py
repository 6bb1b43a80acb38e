"""The phone-array hub appliance: task queue, device runner and TikMatrix Local API v1.
Each module's docstring says which thread owns what (docs/ARCHITECTURE.md)."""

__version__ = "0.1.0"
