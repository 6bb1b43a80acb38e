"""License plans (docs/API.md, Plans): which plans open the Local API and how many phones run at once.

Constant tables and pure functions: any thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Plan:
    name: str
    api_enabled: bool
    device_limit: int

    def describe(self) -> dict[str, Any]:
        """The `data` of GET /license/check."""
        if self.api_enabled:
            message = f"The {self.name} plan includes Local API access for up to {self.device_limit} devices."
        else:
            message = (f"The {self.name} plan does not include Local API access; "
                       "upgrade to Pro, Team or Business to use the API.")
        return {"plan_name": self.name, "api_enabled": self.api_enabled,
                "device_limit": self.device_limit, "message": message}


PLANS: dict[str, Plan] = {
    "Starter": Plan("Starter", False, 5),
    "Pro": Plan("Pro", True, 20),
    "Team": Plan("Team", True, 50),
    "Business": Plan("Business", True, 100),
}


def plan_named(name: str) -> Plan:
    """The plan called `name` (case-insensitive); KeyError names the known plans."""
    for plan in PLANS.values():
        if plan.name.lower() == name.strip().lower():
            return plan
    raise KeyError(f"unknown plan {name!r}; known plans: {', '.join(PLANS)}")
