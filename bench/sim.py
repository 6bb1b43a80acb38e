"""Simulated-phone bench: `shell echo` latency through ppadb and through the adb command line.

Starts its own adb server on a free port and a SimFarm, connects the phones, then measures:
ppadb `shell("echo hi")`, `adb -s ADDR shell echo hi` (a process per call) next to `adb version`
(the cost of spawning the client at all), ppadb screencap,
adb push + pull of 5 MB, and how long 100 phones take to attach. Ends with the line
`median_ms shell_echo ppadb=X cli=Y`. Run: `python bench/sim.py [--calls N] [--phones N]`.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ppadb.client import Client

from appliance.devices.ports import free_port
from appliance.sim import SimFarm

ADB = "/usr/bin/adb"



def query(port: int, service: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(b"%04x" % len(service) + service.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            if len(data) >= 8 and len(data) >= 8 + int(data[4:8], 16):
                break
    if data[:4] != b"OKAY":
        raise RuntimeError(data[8:].decode(errors="replace"))
    return data[8:].decode(errors="replace")


def attach(port: int, addresses: list[str]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:  # 32 at once sometimes aborts the adb 29 server
        list(pool.map(lambda a: query(port, f"host:connect:{a}"), addresses))
    while True:
        states = dict(line.split("\t") for line in query(port, "host:devices").splitlines() if "\t" in line)
        if all(states.get(a) == "device" for a in addresses):
            return time.perf_counter() - started
        time.sleep(0.01)


def timed(fn, calls: int) -> list[float]:
    fn()  # warm-up
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def row(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p90 = samples[int(len(samples) * 0.9) - 1] if len(samples) >= 10 else samples[-1]
    return f"{name:<34} {statistics.median(samples):>9.2f} {p90:>9.2f} {len(samples):>6}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per latency measurement")
    parser.add_argument("--phones", type=int, default=100, help="phones for the attach measurement")
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen([ADB, "-P", str(port), "server", "nodaemon"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    farm = SimFarm(count=args.phones, seed=1).start()
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                query(port, "host:version")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        attach_s = attach(port, farm.addresses())
        address = farm.phones[0].address
        device = Client("127.0.0.1", port).device(address)
        assert device.shell("echo hi") == "hi\n"

        ppadb = timed(lambda: device.shell("echo hi"), args.calls)
        cli = timed(lambda: subprocess.run([ADB, "-P", str(port), "-s", address, "shell", "echo hi"],
                                           capture_output=True, check=True), max(20, args.calls // 3))
        # What spawning the adb client costs by itself: the floor under the line above.
        spawn = timed(lambda: subprocess.run([ADB, "version"], capture_output=True, check=True),
                      max(20, args.calls // 3))
        screencap = timed(device.screencap, max(10, args.calls // 10))

        with tempfile.TemporaryDirectory() as tmp:
            source, back = Path(tmp, "five.bin"), Path(tmp, "back.bin")
            source.write_bytes(os.urandom(5 * 1024 * 1024))

            def push_pull() -> None:
                subprocess.run([ADB, "-P", str(port), "-s", address, "push", str(source), "/sdcard/five.bin"],
                               capture_output=True, check=True)
                subprocess.run([ADB, "-P", str(port), "-s", address, "pull", "/sdcard/five.bin", str(back)],
                               capture_output=True, check=True)

            transfer = timed(push_pull, 5)
            assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()

        print(f"{'measure':<34} {'median ms':>9} {'p90 ms':>9} {'calls':>6}")
        print(row("ppadb shell('echo hi')", ppadb))
        print(row("adb -s ADDR shell echo hi (process)", cli))
        print(row("adb version (spawn baseline)", spawn))
        print(row("ppadb screencap (PNG)", screencap))
        print(row("adb push + pull 5 MB", transfer))
        print(f"attach {args.phones} phones (parallel connect): {attach_s * 1000:.0f} ms")
        print(f"median_ms shell_echo ppadb={statistics.median(ppadb):.2f} cli={statistics.median(cli):.2f}")
    finally:
        farm.stop()
        subprocess.run([ADB, "-P", str(port), "kill-server"], capture_output=True, timeout=10,
                       check=False)   # the server may be gone already
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
