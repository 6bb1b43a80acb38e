"""API fixtures: services on a fresh state dir (adb off) and a falcon TestClient over them."""

from __future__ import annotations

import falcon.testing
import pytest

from appliance.api.app import create_app
from appliance.services import build_services
from tests.hubkit import LOCAL_HOST, hub_config


@pytest.fixture
def make_client(tmp_path):
    """make_client(**settings) -> (TestClient, services); closed at teardown."""
    opened = []

    def make(**settings):
        settings.setdefault("state_dir", str(tmp_path / f"state{len(opened)}"))
        services = build_services(hub_config(tmp_path, **settings))
        opened.append(services)
        return falcon.testing.TestClient(create_app(services), headers=LOCAL_HOST), services

    yield make
    for services in opened:
        services.close()


@pytest.fixture
def client(make_client):
    return make_client()[0]


@pytest.fixture
def services_client(make_client):
    return make_client()

