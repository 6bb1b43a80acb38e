"""The fleet's broker layer (issue 17): topic names and fleet ids (`topics`) and the one MQTT
client wrapper (`link.Link`). Used by services (hub side `services/fleet.py`, the gateway);
imports only config, errors and domain."""
