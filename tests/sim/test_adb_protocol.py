"""The emulated adbd at the wire level, with a raw client: handshake versions, checksums, streams."""

from __future__ import annotations

import socket

import pytest

from appliance.sim import SimFarm
from appliance.sim import adb_protocol as p


@pytest.fixture
def phone():
    farm = SimFarm(1, seed=2).start()
    yield farm.phones[0]
    farm.stop()


def connect(phone, version: int) -> tuple[socket.socket, p.Message]:
    sock = socket.create_connection(("127.0.0.1", phone.port), timeout=5)
    sock.sendall(p.pack(p.A_CNXN, version, 4096, b"host::features=cmd"))
    return sock, p.read_message(sock)


def shell(sock: socket.socket, command: str, local_id: int = 7) -> tuple[bytes, list[p.Message]]:
    sock.sendall(p.pack(p.A_OPEN, local_id, 0, f"shell:{command}\0".encode()))
    okay = p.read_message(sock)
    assert okay.name == "OKAY" and okay.arg1 == local_id
    output, messages = b"", []
    while True:
        message = p.read_message(sock)
        messages.append(message)
        if message.name == "CLSE":
            return output, messages
        assert message.name == "WRTE" and message.arg1 == local_id
        output += message.payload
        sock.sendall(p.pack(p.A_OKAY, local_id, message.arg0))


def test_banner_has_identity_and_no_features(phone):
    sock, reply = connect(phone, p.VERSION_SKIP_CHECKSUM)
    with sock:
        assert reply.name == "CNXN" and reply.arg0 == p.VERSION_SKIP_CHECKSUM
        banner = reply.payload.decode()
        assert banner.startswith("device::ro.product.name=") and banner.endswith(";features=")
        assert f"ro.product.model={phone.model};" in banner


@pytest.mark.parametrize("version", [p.VERSION_MIN, p.VERSION_SKIP_CHECKSUM])
def test_shell_output_with_each_protocol_version(phone, version):
    sock, reply = connect(phone, version)
    with sock:
        assert reply.arg0 == version
        # Read the next message raw to check its checksum field.
        sock.sendall(p.pack(p.A_OPEN, 3, 0, b"shell:echo checksum\0"))
        p.read_message(sock)  # OKAY
        header = p.recv_exact(sock, 24)
        command, _a0, _a1, length, crc, magic = p.HEADER.unpack(header)
        payload = p.recv_exact(sock, length)
        assert command == p.A_WRTE and magic == command ^ 0xFFFFFFFF and payload == b"checksum\n"
        assert crc == (p.checksum(payload) if version == p.VERSION_MIN else 0)


def test_large_output_is_split_at_the_negotiated_payload_size(phone):
    sock, _ = connect(phone, p.VERSION_SKIP_CHECKSUM)  # the client said 4096 bytes max
    with sock:
        output, messages = shell(sock, "screencap -p")
        assert output.startswith(b"\x89PNG") and len(output) > 4096
        assert max(len(m.payload) for m in messages) <= 4096
        assert output == phone.ui.screencap_png()


def test_unknown_service_is_closed_at_once(phone):
    sock, _ = connect(phone, p.VERSION_SKIP_CHECKSUM)
    with sock:
        sock.sendall(p.pack(p.A_OPEN, 9, 0, b"jdwp:1234\0"))
        reply = p.read_message(sock)
        assert (reply.name, reply.arg0, reply.arg1) == ("CLSE", 0, 9)


def test_garbage_closes_the_connection_and_the_phone_stays_up(phone):
    with socket.create_connection(("127.0.0.1", phone.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(100) == b""
    sock, _reply = connect(phone, p.VERSION_SKIP_CHECKSUM)
    with sock:
        assert shell(sock, "getprop ro.serialno")[0] == f"{phone.serial}\n".encode()
