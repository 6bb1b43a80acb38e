"""Operator errors are sentences: every CLI command, run with bad input, answers with a sentence
and a click exit code (0, 1 or 2), never with a Python traceback.

Every command of the click tree must have bad-input cases in BAD (a new command fails the first
test until it has some), and each command's plain form runs in every broken ENVIRONMENT (no
config file, bad config, hub down, something else on the port, the default state folder). Runs
in-process with CliRunner; a few cases also run as real processes, as a terminal sees them.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import socket
import subprocess
import sys
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import appliance.cli
from appliance.cli import main
from tests.hubkit import ROOT, hub_config, running_hub

# What Python internals look like when they reach an operator: a traceback, an exception's
# class name (click's own "Error: " prefix has none before it), errno and codec messages.
LEAK = re.compile(r"Traceback \(most recent call last\)|\b[A-Z][A-Za-z]+(Error|Exception):"
                  r"|\[Errno \d+\]|codec can't|invalid literal|could not convert"
                  r"|File \"[^\"]+\", line \d+")


@dataclass
class Case:
    args: tuple[str, ...]
    says: str = ""              # a phrase the answer must hold
    hub: bool = False           # against the live hub (else nothing listens on the port)
    ok: bool = False            # exit 0 is right (the command reports the problem and goes on)
    env: dict = field(default_factory=dict)


def case(*args: str, **kw) -> Case:
    return Case(args, **kw)


# A plain, well-formed invocation of each command: run in every ENVIRONMENT below.
PLAIN = {
    "": ("status",),
    "accounts": ("accounts", "list"),
    "accounts export": ("accounts", "export", "{tmp}/out.csv"),
    "accounts import": ("accounts", "import", "{good_csv}"),
    "accounts list": ("accounts", "list"),
    "db": ("db", "archives"),
    "db archive": ("db", "archive", "tasks-20200101T000000000000Z.jsonl.gz"),
    "db archives": ("db", "archives"),
    "db backup": ("db", "backup", "plain.snap"),
    "db check": ("db", "check"),
    "db compact": ("db", "compact"),
    "db restore": ("db", "restore", "{corrupt_backup}"),
    "demo": ("demo", "--phones", "1", "--port", "{closed_port}", "--duration", "0",
             "--state-dir", "{tmp}/demo-state"),
    "devices": ("devices",),
    "devices connect": ("devices", "connect", "127.0.0.1:5999"),
    "devices dump": ("devices", "dump", "SER1", "-o", "{tmp}/screen.xml"),
    "devices screenshot": ("devices", "screenshot", "SER1", "-o", "{tmp}/screen.png"),
    "devices show": ("devices", "show", "SER1"),
    "doctor": ("doctor",),
    # No fleet_broker in the environments: the gateway says which settings it needs.
    "gateway": ("gateway",),
    "groups": ("groups", "list"),
    "groups add": ("groups", "add", "Team", "SER1"),
    "groups create": ("groups", "create", "Team", "SER1"),
    "groups delete": ("groups", "delete", "Team"),
    "groups list": ("groups", "list"),
    "groups remove": ("groups", "remove", "Team", "SER1"),
    "groups rename": ("groups", "rename", "Team", "Night"),
    "groups show": ("groups", "show", "Team"),
    "materials": ("materials", "list"),
    "materials delete": ("materials", "delete", "1"),
    "materials edit": ("materials", "edit", "1", "--sort", "2"),
    "materials list": ("materials", "list", "--unused"),
    "materials show": ("materials", "show", "1"),
    "materials tag": ("materials", "tag", "1", "dance"),
    "materials upload": ("materials", "upload", "{png}"),
    "license": ("license", "show"),
    "license set": ("license", "set", "Team"),
    "license show": ("license", "show"),
    "schedules": ("schedules", "list"),
    "schedules add": ("schedules", "add", "--name", "morning", "--time", "08:00", "--serial",
                      "SER1", "--script", "account_warmup"),
    "schedules delete": ("schedules", "delete", "1"),
    "schedules disable": ("schedules", "disable", "1"),
    "schedules enable": ("schedules", "enable", "1"),
    "schedules list": ("schedules", "list"),
    "schedules run": ("schedules", "run", "1"),
    "schedules show": ("schedules", "show", "1"),
    # The port is always taken in the environments: serve stops at binding it.
    "serve": ("serve", "--no-adb"),
    "sim": ("sim", "--phones", "1", "--duration", "0", "--no-records"),
    "status": ("status",),
    "tasks": ("tasks", "list"),
    "tasks create": ("tasks", "create", "--serial", "SER1", "--script", "account_warmup"),
    "tasks delete": ("tasks", "delete", "1"),
    "tasks list": ("tasks", "list"),
    "tasks retry": ("tasks", "retry", "1"),
    "tasks retry-all": ("tasks", "retry-all"),
    "tasks show": ("tasks", "show", "1"),
    "tasks results": ("tasks", "results", "1", "--csv"),
    "tasks stop": ("tasks", "stop", "1"),
    "tasks wait": ("tasks", "wait", "1", "--timeout", "1"),
    "token": ("token", "show"),
    "token rotate": ("token", "rotate"),
    "token show": ("token", "show"),
    "ui": ("ui", "locate", "{dump}"),
    "ui locate": ("ui", "locate", "{dump}"),
}

STATE_IS_A_FILE = {"APPLIANCE_STATE_DIR": "{a_file}"}

# Bad input per command: missing files, wrong encodings, bad values, the hub refusing.
BAD = {
    "": [case("--nope", says="No such option"), case("--config", "{folder}", "status")],
    "accounts": [case("accounts", "nope", says="No such command")],
    "accounts export": [case("accounts", "export", "{missing_folder}/out.csv", hub=True,
                             says="No such file or directory"),
                        case("accounts", "export", "{folder}", hub=True, says="is a directory")],
    "accounts import": [case("accounts", "import", "{missing}", says="no file"),
                        case("accounts", "import", "{utf16_csv}", says="UTF-16"),
                        case("accounts", "import", "{png}", says="not UTF-8"),
                        case("accounts", "import", "{folder}", says="is a directory"),
                        case("accounts", "import", "{no_username_csv}", says="'username' column"),
                        case("accounts", "import", "{bad_bool_csv}", says="true or false")],
    "accounts list": [case("accounts", "list", "--device")],
    "db": [case("db", "nope", says="No such command")],
    "db archive": [case("db", "archive", "../store.snap", says="no archive named"),
                   case("db", "archive", "tasks-20200101T000000000000Z.jsonl.gz",
                        env={"APPLIANCE_STATE_DIR": "{damaged_archive_state}"}, says="damaged")],
    "db archives": [case("db", "archives", env={"APPLIANCE_STATE_DIR": "{damaged_archive_state}"},
                         ok=True, says="DAMAGED"),
                    case("db", "archives", env={"APPLIANCE_STATE_DIR": "{missing}"},
                         says="no state directory")],
    "db backup": [case("db", "backup", "../../x.snap", says="must stay inside"),
                  case("db", "backup", env=STATE_IS_A_FILE, says="no state directory")],
    "db check": [case("db", "check", env={"APPLIANCE_STATE_DIR": "{corrupt_state}"},
                      says="damaged"),
                 case("db", "check", hub=True, says="holds the store")],
    "db compact": [case("db", "compact", hub=True, says="holds the store")],
    "db restore": [case("db", "restore", "{missing}", says="no backup"),
                   case("db", "restore", "{corrupt_backup}", says="nothing was changed"),
                   case("db", "restore", "{folder}", says="holds no store files"),
                   case("db", "restore", "{corrupt_backup}", hub=True, says="holds the store")],
    "demo": [case("demo", "--phones", "0"),
             case("demo", "--phones", "1", "--port", "0", "--state-dir", "{a_file}",
                  "--duration", "0")],
    "devices": [case("devices", "--state", "bogus")],
    "devices connect": [case("devices", "connect", "not-an-address", hub=True)],
    "devices dump": [case("devices", "dump", "SER1", "-o", "{missing_folder}/x.xml",
                          says="does not exist"),
                     case("devices", "dump", "SER1", "-o", "{folder}", says="folder"),
                     case("devices", "dump", "SER1", "-o", "{tmp}/x.xml", hub=True)],
    "devices screenshot": [case("devices", "screenshot", "SER1", "-o", "{missing_folder}/x.png",
                                says="does not exist"),
                           case("devices", "screenshot", "SER1", "-o", "{tmp}/x.png", hub=True)],
    "devices show": [case("devices", "show", "SER1", hub=True)],
    "gateway": [case("gateway", says="fleet_broker"),
                case("gateway", env={"APPLIANCE_FLEET_BROKER": "http://hub:1883"},
                     says="mqtt://HOST:PORT"),
                case("gateway", "--port", "70000", says="at most 65535")],
    "doctor": [case("doctor", env={"APPLIANCE_PORT": "not-a-port"}, says="whole number"),
               case("doctor", env=STATE_IS_A_FILE, says="not writable")],
    "groups": [case("groups", "nope", says="No such command")],
    "groups add": [case("groups", "add", "Team", says="Missing argument"),
                   case("groups", "add", "no-such-group", "SER1", hub=True, says="no group named")],
    "groups create": [case("groups", "create", "Team", "bad serial;id", hub=True,
                           says="serials[0]"),
                      case("groups", "create", "x" * 65, hub=True, says="name"),
                      case("groups", "create", " ", hub=True, says="give the group a name")],
    "groups delete": [case("groups", "delete", "no-such-group", hub=True, says="no group named"),
                      case("groups", "delete", says="Missing argument")],
    "groups list": [case("groups", "list", env={"APPLIANCE_PORT": "{garbage_port}"},
                         says="not in HTTP")],
    "groups remove": [case("groups", "remove", "Team", says="Missing argument"),
                      case("groups", "remove", "no-such-group", "SER1", hub=True,
                           says="no group named")],
    "groups rename": [case("groups", "rename", "Team", says="Missing argument"),
                      case("groups", "rename", "no-such-group", "New", hub=True,
                           says="no group named")],
    "groups show": [case("groups", "show", "no-such-group", hub=True, says="no group named"),
                    case("groups", "show", "x" * 65, hub=True, says="name")],
    "materials": [case("materials", "nope", says="No such command")],
    "materials delete": [case("materials", "delete", "0", says="not in the range"),
                         case("materials", "delete", "99", hub=True, says="no material 99")],
    "materials edit": [case("materials", "edit", "1", says="give --caption"),
                       case("materials", "edit", "99", "--sort", "1", hub=True,
                            says="no material 99")],
    "materials list": [case("materials", "list", "--kind", "gif", says="Invalid value"),
                       case("materials", "list", "--tags", "x" * 70, hub=True, says="tags")],
    "materials show": [case("materials", "show", "abc", says="not a valid integer"),
                       case("materials", "show", "99", hub=True, says="no material 99")],
    "materials tag": [case("materials", "tag", says="Missing argument"),
                      case("materials", "tag", "1", "x" * 70, hub=True, says="longer than 64")],
    "materials upload": [case("materials", "upload", "{missing}", says="does not exist"),
                         case("materials", "upload", "{dump}", hub=True,
                              says="not an MP4 video, a JPEG or a PNG"),
                         case("materials", "upload", "{folder}", says="is a directory")],
    "license": [case("license", "nope", says="No such command")],
    "license set": [case("license", "set", "Gold"),
                    case("license", "set", "Team", env=STATE_IS_A_FILE, says="File exists")],
    "license show": [case("license", "show", env=STATE_IS_A_FILE)],
    "schedules": [case("schedules", "nope", says="No such command")],
    "schedules add": [
        case("schedules", "add", "--name", "n", "--serial", "S", "--script", "account_warmup",
             says="--time"),
        case("schedules", "add", "--name", "n", "--time", "08:00", "--script", "account_warmup",
             says="one kind"),
        case("schedules", "add", "--name", "n", "--time", "08:00", "--serial", "S", "--group",
             "G", "--script", "account_warmup", says="one kind"),
        case("schedules", "add", "--name", "n", "--time", "08:00", "--serial", "S", "--script",
             "account_warmup", "--config", "{{bad", says="not JSON"),
        case("schedules", "add", "--name", "n", "--time", "25:00", "--serial", "S", "--script",
             "account_warmup", hub=True, says="times[0]"),
        case("schedules", "add", "--name", "n", "--time", "08:00", "--weekday", "funday",
             "--serial", "S", "--script", "account_warmup", hub=True, says="weekdays[0]"),
        case("schedules", "add", "--name", "n", "--time", "08:00", "--serial", "S", "--script",
             "no_such_script", hub=True, says="script_name"),
        case("schedules", "add", "--name", "n", "--time", "08:00", "--group", "no-such-group",
             "--script", "account_warmup", hub=True, says="targets.groups")],
    "schedules delete": [case("schedules", "delete", "999999", hub=True, says="does not exist"),
                         case("schedules", "delete", "abc")],
    "schedules disable": [case("schedules", "disable", "999999", hub=True,
                               says="does not exist")],
    "schedules enable": [case("schedules", "enable", "999999", hub=True, says="does not exist"),
                         case("schedules", "enable", says="Missing argument")],
    "schedules list": [case("schedules", "list", env={"APPLIANCE_PORT": "{garbage_port}"},
                            says="not in HTTP")],
    "schedules run": [case("schedules", "run", "999999", hub=True, says="does not exist"),
                      case("schedules", "run", "0", hub=True, says="schedule_id")],
    "schedules show": [case("schedules", "show", "999999", hub=True, says="does not exist"),
                       case("schedules", "show", "abc")],
    "serve": [case("serve", "--no-adb", "--state-dir", "{a_file}", "--port", "0"),
              case("serve", "--host", "not an ip", says="IP address"),
              case("serve", "--port", "70000", says="at most 65535")],
    "sim": [case("sim", "--base-port", "5555", says="5555"),
            case("sim", "--phones", "1", "--base-port", "{closed_port}", says="choose another"),
            case("sim", "--dump-seconds", "abc", says="LO,HI"),
            case("sim", "--phones", "0")],
    "status": [case("status", env={"APPLIANCE_PORT": "{garbage_port}"}, says="not in HTTP")],
    "tasks": [case("tasks", "nope", says="No such command")],
    "tasks create": [
        case("tasks", "create", "--serial", "S", "--script", "account_warmup", "--config",
             "@{missing}", says="cannot read"),
        case("tasks", "create", "--serial", "S", "--script", "account_warmup", "--config",
             "@{utf16_json}", says="not UTF-8"),
        case("tasks", "create", "--serial", "S", "--script", "account_warmup", "--config",
             "{{bad", says="not JSON"),
        case("tasks", "create", "--script", "account_warmup", says="--serial or --username"),
        case("tasks", "create", "--group", "no-such-group", "--script", "account_warmup",
             hub=True, says="no group 'no-such-group'"),
        case("tasks", "create", "--serial", "S", "--script", "no_such_script", hub=True),
        case("tasks", "create", "--serial", "S", "--script", "account_warmup", "--start-time",
             "25:99", hub=True)],
    "tasks delete": [case("tasks", "delete", "999999", hub=True, ok=True, says="not found"),
                     case("tasks", "delete", "abc")],
    "tasks list": [case("tasks", "list", "--status", "bogus", says="not a status"),
                   case("tasks", "list", "--page", "0")],
    "tasks retry": [case("tasks", "retry", "999999", hub=True)],
    "tasks retry-all": [case("tasks", "retry-all", env={"APPLIANCE_PORT": "{garbage_port}"})],
    "tasks show": [case("tasks", "show", "999999", hub=True), case("tasks", "show", "abc")],
    "tasks results": [case("tasks", "results", "999999", hub=True),
                      case("tasks", "results", "abc")],
    "tasks stop": [case("tasks", "stop", "999999", hub=True)],
    "tasks wait": [case("tasks", "wait", "999999", hub=True),
                   case("tasks", "wait", "1", "--interval", "0")],
    "token": [case("token", "nope", says="No such command")],
    "token rotate": [case("token", "rotate", env=STATE_IS_A_FILE)],
    "token show": [case("token", "show", env=STATE_IS_A_FILE)],
    "ui": [case("ui", "nope", says="No such command")],
    "ui locate": [case("ui", "locate", "{missing}", says="no file"),
                  case("ui", "locate", "{utf16_xml}", says="not UTF-8"),
                  case("ui", "locate", "{png}", says="not UTF-8"),
                  case("ui", "locate", "{folder}", says="folder"),
                  case("ui", "locate", says="either a dump FILE or --serial"),
                  case("ui", "locate", "--serial", "SER1", hub=True)],
}

# Broken surroundings, each applied to every command's plain form: (global options, env).
ENVIRONMENTS = {
    "missing config file": (("--config", "@missing.json"), {}),
    "config with a bad host": (("--config", "{bad_host_toml}"), {}),
    "config in UTF-16": (("--config", "{utf16_toml}"), {}),
    "hub down": ((), {}),
    "something else on the port": ((), {"APPLIANCE_PORT": "{garbage_port}"}),
}


def command_paths(command: click.Command = main, path: tuple[str, ...] = ()):
    yield " ".join(path)
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from command_paths(sub, (*path, name))


def _garbage_server(sock: socket.socket) -> None:
    """Answers every connection with a line that is not HTTP (an adb server would, say)."""
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        with conn:
            conn.sendall(b"hello, this is not the hub\r\n")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The files and ports the cases name ({name} in their arguments)."""
    tmp = tmp_path_factory.mktemp("bad-input")
    closed = socket.socket()            # bound, never listening: connections are refused
    closed.bind(("127.0.0.1", 0))
    garbage = socket.socket()
    garbage.bind(("127.0.0.1", 0))
    garbage.listen(16)
    threading.Thread(target=_garbage_server, args=(garbage,), daemon=True).start()

    def write(name: str, data: bytes) -> str:
        (tmp / name).write_bytes(data)
        return str(tmp / name)

    (tmp / "a-folder").mkdir()
    (tmp / "state").mkdir()
    corrupt_state = tmp / "corrupt-state"
    corrupt_state.mkdir()
    (corrupt_state / "store.snap").write_bytes(b"not a snapshot at all")
    archive = tmp / "damaged-archive-state" / "archive"
    archive.mkdir(parents=True)
    (archive / "tasks-20200101T000000000000Z.jsonl.gz").write_bytes(b"\x1f\x8b\x08 cut short")
    utf16 = codecs.BOM_UTF16_LE
    names = {
        "tmp": str(tmp), "folder": str(tmp / "a-folder"), "missing": str(tmp / "missing.csv"),
        "missing_folder": str(tmp / "no-such-folder"),
        "closed_port": str(closed.getsockname()[1]), "garbage_port": str(garbage.getsockname()[1]),
        "good_csv": write("good.csv", b"username,enabled\nalice,true\n"),
        "utf16_csv": write("excel.csv",
                           utf16 + "username,enabled\nzoë,true\n".encode("utf-16-le")),
        "no_username_csv": write("no-username.csv", b"name,enabled\nalice,true\n"),
        "bad_bool_csv": write("bad-bool.csv", b"username,enabled\nalice,maybe\n"),
        "png": write("screen.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"),
        "dump": write("screen.xml", b"<hierarchy rotation=\"0\"></hierarchy>"),
        "utf16_xml": write("screen16.xml", utf16 + "<hierarchy/>".encode("utf-16-le")),
        "utf16_json": write("config16.json", utf16 + '{"a": 1}'.encode("utf-16-le")),
        "bad_host_toml": write("bad-host.toml", b'host = "not an ip"\n'),
        "utf16_toml": write("utf16.toml", utf16 + 'plan = "Team"\n'.encode("utf-16-le")),
        "a_file": write("a-file", b"not a folder\n"),
        "corrupt_backup": write("corrupt.snap", b"\x00\x01 garbage, not a backup"),
        "corrupt_state": str(corrupt_state), "damaged_archive_state": str(archive.parent),
    }
    yield names
    closed.close()
    garbage.close()


@pytest.fixture(scope="module")
def live_port(tmp_path_factory):
    """A real hub (adb off) for the cases the hub itself refuses."""
    config = hub_config(tmp_path_factory.mktemp("bad-input-hub"))
    with running_hub(config) as hub:
        yield str(hub.server.port), str(config.state_dir)


@pytest.fixture(autouse=True)
def no_system_config(monkeypatch, tmp_path):
    monkeypatch.setattr(appliance.cli, "SYSTEM_CONFIG", tmp_path / "no-system-config.toml")


@dataclass
class Outcome:
    exit_code: int
    output: str
    traceback: str | None   # what a terminal would have shown: the test's failure


def invoke(args: list[str], env: dict | None = None) -> Outcome:
    result = CliRunner().invoke(main, args, env=env)
    shown = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        shown = "".join(traceback.format_exception(result.exception))
    return Outcome(result.exit_code, result.output, shown)


def base_env(world: dict) -> dict:
    return {"APPLIANCE_CONFIG": None, "APPLIANCE_HOST": "127.0.0.1",
            "APPLIANCE_STATE_DIR": world["tmp"] + "/state", "APPLIANCE_PORT": world["closed_port"],
            "APPLIANCE_ADB_ENABLED": "false"}


def run(world: dict, args, env: dict, live: tuple[str, str] | None = None) -> Outcome:
    full = base_env(world)
    if live is not None:
        full["APPLIANCE_PORT"], full["APPLIANCE_STATE_DIR"] = live
    full.update(env)
    full = {k: None if v is None else v.format(**world) for k, v in full.items()}
    return invoke([a.format(**world) for a in args], full)


def check(result: Outcome, what: str, says: str = "", ok: bool | None = None) -> None:
    """A sentence and a click exit code; `ok` True: must succeed, False: must fail."""
    if result.traceback is not None:
        pytest.fail(f"{what}: a traceback instead of a sentence:\n{result.traceback}")
    output = result.output
    assert result.exit_code in (0, 1, 2), f"{what}: exit code {result.exit_code}\n{output}"
    assert not LEAK.search(output), f"{what}: Python internals in the output:\n{output}"
    if ok is True:
        assert result.exit_code == 0, f"{what}: failed\n{output}"
    if ok is False:
        assert result.exit_code != 0, f"{what}: bad input was accepted\n{output}"
    errors = [line for line in output.splitlines() if line.startswith("Error: ")]
    if result.exit_code == 1 and errors:   # a usage error (2) may be short: click writes it
        assert len(errors[-1].split()) >= 6, f"{what}: not a sentence: {errors[-1]!r}"
    if says:
        assert says in output, f"{what}: expected {says!r} in:\n{output}"


def test_every_command_has_bad_input_cases():
    paths = set(command_paths())
    assert paths - set(BAD) == set(), "commands without bad-input cases in BAD"
    assert paths - set(PLAIN) == set(), "commands without a plain form in PLAIN"
    assert set(BAD) - paths == set() and set(PLAIN) - paths == set(), "cases for no command"


@pytest.mark.phones   # starts a hub process
@pytest.mark.parametrize("path", sorted(BAD), ids=lambda p: p or "appliance")
def test_bad_input_is_answered_with_a_sentence(path, world, live_port):
    for bad in BAD[path]:
        result = run(world, bad.args, bad.env, live_port if bad.hub else None)
        check(result, f"appliance {' '.join(bad.args)}", bad.says, ok=bad.ok)


@pytest.mark.parametrize("environment", sorted(ENVIRONMENTS))
def test_every_command_in_a_broken_environment_answers_with_a_sentence(environment, world):
    options, env = ENVIRONMENTS[environment]
    for path in sorted(PLAIN):
        args = options + PLAIN[path]
        check(run(world, args, env), f"{environment}: appliance {' '.join(args)}")


# The default state folder is worked out when appliance.config is imported (from HOME and
# XDG_STATE_HOME): this child process gets its own, and runs every command in-process there.
DRIVER = """
import json, sys
from pathlib import Path
import appliance.cli
from tests.cli.test_bad_input import invoke
appliance.cli.SYSTEM_CONFIG = Path("/nonexistent/appliance.toml")
json.dump([invoke(args).__dict__ for args in json.load(sys.stdin)], sys.stdout)
"""


@pytest.mark.phones   # starts a hub process
def test_every_command_with_the_default_state_folder_and_no_config_answers_a_sentence(world):
    home = Path(world["tmp"]) / "home"
    env = {**os.environ, **{k: v for k, v in base_env(world).items() if v is not None},
           "PYTHONPATH": str(ROOT), "HOME": str(home), "XDG_STATE_HOME": str(home / "state")}
    for name in ("APPLIANCE_CONFIG", "APPLIANCE_STATE_DIR"):
        env.pop(name, None)
    commands = [[a.format(**world) for a in PLAIN[path]] for path in sorted(PLAIN)]
    done = subprocess.run([sys.executable, "-c", DRIVER], input=json.dumps(commands), env=env,
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    for args, outcome in zip(commands, json.loads(done.stdout), strict=False):
        check(Outcome(**outcome), f"default state folder: appliance {' '.join(args)}")
    assert (home / "state" / "appliance" / "api-token").is_file()   # that folder was the one used


@pytest.mark.phones   # starts a hub process
def test_hub_down_says_so_and_what_to_do(world):
    result = run(world, ("tasks", "list"), {})
    assert result.exit_code == 1
    assert "no hub answers at http://127.0.0.1:" in result.output
    assert "start it with `appliance serve`" in result.output
    assert "APPLIANCE_PORT" in result.output and "connection refused" in result.output


def test_the_issues_cases_fail_with_their_own_sentence(world):
    """The mistakes the issue met, each answered by what to do about it."""
    expected = {
        ("--config", "@missing.json", "status"): "does not exist; pass an existing file",
        ("--config", "{bad_host_toml}", "status"): "expected an IP address",
        ("accounts", "import", "{utf16_csv}"): "save it as \"CSV UTF-8\"",
        ("accounts", "import", "{missing}"): "give the path of a CSV file",
        ("devices", "screenshot", "SER1", "-o", "{missing_folder}/x.png"): "mkdir -p",
        ("tasks", "create", "--serial", "S", "--script", "x", "--config", "@{missing}"):
            "No such file or directory",
    }
    for args, says in expected.items():
        check(run(world, args, {}), " ".join(args), says, ok=False)


@pytest.mark.phones   # starts a hub process
@pytest.mark.parametrize("args", [
    ("accounts", "import", "{utf16_csv}"),
    ("--config", "@missing.json", "tasks", "list"),
    ("tasks", "create", "--serial", "S", "--script", "account_warmup", "--config", "@{missing}"),
    ("status",),
    ("ui", "locate", "{png}"),
    ("db", "archive", "tasks-20200101T000000000000Z.jsonl.gz"),
    ("serve", "--no-adb"),
], ids=lambda args: " ".join(args))
def test_no_traceback_reaches_a_terminal(args, world):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "APPLIANCE_HOST": "127.0.0.1",
           "APPLIANCE_PORT": world["closed_port"], "APPLIANCE_STATE_DIR": world["tmp"] + "/state"}
    env.pop("APPLIANCE_CONFIG", None)
    if args[0] == "db":
        env["APPLIANCE_STATE_DIR"] = world["damaged_archive_state"]
    done = subprocess.run([sys.executable, "-m", "appliance", *(a.format(**world) for a in args)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode in (1, 2), done.stdout + done.stderr
    assert not LEAK.search(done.stdout + done.stderr), done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and len(last.split()) >= 6, done.stderr
