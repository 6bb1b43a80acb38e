"""The suite's own machinery: the shared adb server comes back after a crash, and says so."""

from __future__ import annotations

import pytest

from tests.fixtures import AdbServer, revive_adb_server


def test_a_dead_shared_adb_server_is_started_again_with_a_warning_naming_it(adb_server: AdbServer):
    assert adb_server.process is not None
    adb_server.process.kill()                    # as adb 29 aborts under load
    adb_server.process.wait(10)
    with pytest.warns(UserWarning, match=r"the shared adb server had died \(exit -9"):
        revive_adb_server(adb_server)
    assert adb_server.alive()
    assert adb_server.states() == {}


def test_a_live_shared_adb_server_is_handed_out_as_it_is(adb_server: AdbServer, recwarn):
    process = adb_server.process
    revive_adb_server(adb_server)
    assert adb_server.process is process and not recwarn.list
