"""Tracker behaviour that the real adb 29 server does not show on demand, against a fake server:
polling when host:track-devices is refused, and "unknown" (never stale) when tracking breaks."""

import socket
import threading

from appliance.devices import DeviceTracker
from tests.fixtures import wait_until


class FakeAdbServer:
    """Answers host:devices with `self.devices`; host:track-devices with FAIL (or a stream)."""

    def __init__(self, track: bool):
        self.track = track
        self.down = False   # while True, every connection is closed unanswered
        self.devices = "A1\tdevice\n"
        self.track_conns: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        if self.down:
            conn.close()
            return
        length = int(conn.recv(4), 16)
        service = conn.recv(length).decode()
        body = self.devices.encode()
        if service == "host:devices":
            conn.sendall(b"OKAY%04x" % len(body) + body)
            conn.close()
        elif service == "host:track-devices" and self.track:
            conn.sendall(b"OKAY%04x" % len(body) + body)
            self.track_conns.append(conn)   # kept open until break_tracking()
        else:
            conn.sendall(b"FAIL%04xunknown host service" % len("unknown host service"))
            conn.close()

    def break_tracking(self):
        for conn in self.track_conns:
            conn.close()
        self.track_conns.clear()

    def close(self):
        self.listener.close()
        self.break_tracking()


def test_tracker_polls_when_track_devices_is_refused():
    server = FakeAdbServer(track=False)
    tracker = DeviceTracker("127.0.0.1", server.port, poll_interval=0.1)
    tracker.start()
    try:
        wait_until(lambda: tracker.get("A1") and tracker.get("A1").state == "device", 5)
        assert tracker.mode == "poll"
        server.devices = "A1\toffline\nB2\tunauthorized\n"
        wait_until(lambda: [(i.serial, i.state) for i in tracker.list()]
                   == [("A1", "offline"), ("B2", "unauthorized")], 5)
        server.devices = ""
        wait_until(lambda: {i.state for i in tracker.list()} == {"absent"}, 5)
    finally:
        tracker.stop()
        server.close()


def test_a_broken_tracking_stream_turns_every_phone_unknown_until_resynced():
    server = FakeAdbServer(track=True)
    tracker = DeviceTracker("127.0.0.1", server.port, poll_interval=60)
    seen = []
    tracker.subscribe(lambda serial, state: seen.append(state))
    tracker.start()
    try:
        wait_until(lambda: tracker.usable("A1"), 5)
        server.down = True               # the server goes away...
        server.break_tracking()
        wait_until(lambda: tracker.get("A1").state == "unknown", 5)
        assert not tracker.usable("A1")
        server.down = False              # ...and comes back
        wait_until(lambda: tracker.usable("A1"), 5)
        assert seen == ["device", "unknown", "device"]
    finally:
        tracker.stop()
        server.close()
