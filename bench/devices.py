"""Cost of the devices client layer: `shell echo` through DeviceClient vs raw ppadb vs the adb CLI.

One run, one simulated phone, one private adb server (a free port, stopped at the end). Each
round runs the three ways in a shuffled order so drift hits them alike; prints medians and the
layer's overhead over raw ppadb (the target: at most 20 %).

    python bench/devices.py [--rounds 1000] [--cli-rounds 60]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ppadb.client import Client
from ppadb.device import Device

from appliance.devices import AdbServer, DeviceClient
from appliance.devices.client import wrap_command
from appliance.devices.ports import free_port
from appliance.errors import DeviceTimeout
from appliance.sim import SimFarm

ADB = "/usr/bin/adb"



def timed(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def stalled_neighbour(layer: DeviceClient, serial: str, stalled, rounds: int, baseline: float) -> None:
    """The same call on a healthy phone while 8 calls hang on a stalled one."""
    layer.connect(stalled.address)
    deadline = time.monotonic() + 10
    while layer.shell(stalled.address, "true").status != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    stalled.set_fault("stall")
    stop = threading.Event()
    timeouts = []

    def hang() -> None:
        while not stop.is_set():
            try:
                layer.shell(stalled.address, "echo hi", timeout=2)
            except DeviceTimeout:
                timeouts.append(1)

    threads = [threading.Thread(target=hang) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.2)
        values = [timed(lambda: layer.shell(serial, "echo hi")) for _ in range(rounds)]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    median = statistics.median(values)
    print(f"  with 8 calls hanging on a stalled phone: healthy phone median {median:.3f} ms "
          f"({(median / baseline - 1) * 100:+.1f} % vs alone); {len(timeouts)} stalled calls "
          "ended by their 2 s deadline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--cli-rounds", type=int, default=60)
    args = parser.parse_args()

    port = free_port()
    server = AdbServer(ADB, port, Path(tempfile.mkdtemp(prefix="bench-devices-")))
    farm = SimFarm(2).start()
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

        wrapped = wrap_command("echo hi", "adbx0123456789ab")
        cli = [ADB, "-P", str(port), "-s", serial, "shell", "echo hi"]
        ways = {
            "client layer (DeviceClient.shell)": lambda: layer.shell(serial, "echo hi"),
            "raw ppadb (Device.shell)": lambda: raw.shell("echo hi"),
            "adb command line": lambda: subprocess.run(cli, capture_output=True, check=True),
            # what the phone itself spends on the exit-status sentinel (nested sh -c + echo)
            "raw ppadb, the layer's wrapped line": lambda: raw.shell(wrapped),
        }
        samples: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(20):  # warm up
            for call in list(ways.values())[:2]:
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
            print(f"  {name:<38} median {value:7.3f} ms  ({len(samples[name])} calls)")
        layer_ms = medians["client layer (DeviceClient.shell)"]
        raw_ms = medians["raw ppadb (Device.shell)"]
        overhead = (layer_ms / raw_ms - 1) * 100
        print(f"  layer overhead over raw ppadb: {overhead:+.1f} % (target <= +20 %)")
        phone_part = medians["raw ppadb, the layer's wrapped line"] - raw_ms
        print(f"    of which on the phone (sentinel, nested sh): {phone_part:+.3f} ms; "
              f"in the client: {layer_ms - raw_ms - phone_part:+.3f} ms")
        stalled_neighbour(layer, serial, farm.phones[1], args.rounds // 2, layer_ms)
    finally:
        server.stop()
        farm.stop()


if __name__ == "__main__":
    main()
