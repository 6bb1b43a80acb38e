"""The hub's own adb server: key in the state directory, restarted when killed, stopped cleanly."""

import os
import signal

from appliance.devices import AdbServer
from appliance.devices.wire import host_query, server_answers
from tests.fixtures import free_port, wait_until


def test_server_keeps_its_key_in_the_state_dir_and_comes_back_after_a_kill(tmp_path):
    port = free_port()
    restarted = []
    server = AdbServer("/usr/bin/adb", port, tmp_path, on_restart=lambda: restarted.append(1))
    server.start()
    try:
        assert int(host_query("127.0.0.1", port, "host:version", 2), 16) >= 39
        key = tmp_path / "adb" / ".android" / "adbkey"
        assert key.exists() and (key.stat().st_mode & 0o777) == 0o600
        original_key = key.read_bytes()
        first_pid = server.pid

        os.kill(first_pid, signal.SIGKILL)
        wait_until(lambda: restarted, 10)
        assert server.pid not in (None, first_pid)
        assert host_query("127.0.0.1", port, "host:version", 2)
        assert key.read_bytes() == original_key   # phones do not ask again
    finally:
        server.stop()
    assert server.pid is None
    wait_until(lambda: not server_answers("127.0.0.1", port), 5)


def test_server_evicts_a_stranger_on_its_port(tmp_path):
    import subprocess

    port = free_port()
    stranger = subprocess.Popen(["/usr/bin/adb", "-P", str(port), "server", "nodaemon"],
                                env=dict(os.environ, HOME=str(tmp_path)),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: server_answers("127.0.0.1", port), 5)
        server = AdbServer("/usr/bin/adb", port, tmp_path / "hub")
        server.start()
        try:
            assert stranger.wait(5) is not None
            assert server.running
        finally:
            server.stop()
    finally:
        if stranger.poll() is None:
            stranger.kill()
            stranger.wait()
