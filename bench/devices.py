"""Cost of the devices client layer: `shell echo` through DeviceClient vs raw ppadb vs the adb CLI.

One run, one simulated phone, one private adb server (a free port, stopped at the end). Each
round runs the three ways in a shuffled order so drift hits them alike; prints medians and the layer's overhead over
raw ppadb (the target: at most 20 %).

    python bench/devices.py [--rounds 1000] [--cli-rounds 60]
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ppadb.client import Client  # noqa: E402
from ppadb.device import Device  # noqa: E402

from appliance.devices import AdbServer, DeviceClient  # noqa: E402
from appliance.sim import SimFarm  # noqa: E402

ADB = "/usr/bin/adb"


def free_port() -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if not 5555 <= port <= 5585:
            return port


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--cli-rounds", type=int, default=60)
    args = parser.parse_args()

    port = free_port()
    server = AdbServer(ADB, port, Path(tempfile.mkdtemp(prefix="bench-devices-")))
    farm = SimFarm(1).start()
    server.start()
    try:
        serial = DeviceClient("127.0.0.1", port).connect(farm.phones[0].address)
        layer = DeviceClient("127.0.0.1", port, default_timeout=10)
        raw = Device(Client("127.0.0.1", port), serial)
        deadline = time.monotonic() + 10
        while True:  # until the server lists the phone online
            try:
                if raw.shell("echo hi") == "hi\n":
                    break
            except RuntimeError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the simulated phone did not come online")
            time.sleep(0.05)
        assert layer.shell(serial, "echo hi").output == "hi\n"

        cli = [ADB, "-P", str(port), "-s", serial, "shell", "echo hi"]
        ways = {
            "client layer (DeviceClient.shell)": lambda: layer.shell(serial, "echo hi"),
            "raw ppadb (Device.shell)": lambda: raw.shell("echo hi"),
            "adb command line": lambda: subprocess.run(cli, capture_output=True, check=True),
        }
        samples: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(20):  # warm up
            for name, call in list(ways.items())[:2]:
                call()
        order = list(ways.items())
        shuffle = random.Random(1).shuffle
        for round_no in range(args.rounds):
            shuffle(order)   # no way always runs right after the slow CLI spawn
            for name, call in order:
                if name == "adb command line" and round_no >= args.cli_rounds:
                    continue
                samples[name].append(timed(call))

        medians = {name: statistics.median(values) for name, values in samples.items()}
        print(f"shell 'echo hi' on one simulated phone, adb server on port {port}")
        for name, value in medians.items():
            print(f"  {name:<36} median {value:7.3f} ms  ({len(samples[name])} calls)")
        layer_ms = medians["client layer (DeviceClient.shell)"]
        raw_ms = medians["raw ppadb (Device.shell)"]
        overhead = (layer_ms / raw_ms - 1) * 100
        print(f"  layer overhead over raw ppadb: {overhead:+.1f} % (target <= +20 %)")
    finally:
        server.stop()
        farm.stop()


if __name__ == "__main__":
    main()
