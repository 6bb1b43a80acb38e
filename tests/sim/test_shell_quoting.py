"""The simulated shell quotes and expands exactly as Debian's /bin/sh (dash) does.

Each line runs three ways: `/bin/sh -c LINE` here, the simulator's interpreter in-process (output
and exit status), and `adb shell LINE` through the real adb server to a simulated phone.
"""

from __future__ import annotations

import subprocess

import pytest

from appliance.sim.shell import Shell

LINES = [
    "echo hello world",
    "echo 'single quoted $HOME \\n'",
    'echo "double $X quoted"',
    'X=abc; echo "$X" ${X} $X-suffix "${X}def"',
    "echo a\\ b\\\\c\\'d",
    'echo "a\\"b\\$c\\`d\\\\e\\zf"',
    "echo 'it'\\''s'",
    'echo "nested \'single\' inside"',
    "echo 'nested \"double\" inside'",
    "echo one; echo two;echo three",
    "true && echo yes || echo no",
    "false && echo yes || echo no",
    "false; echo $?",
    "exit 3; echo never",
    "echo before; exit 4; echo never",
    "echo 'ünïcödé' \"日本語\" 😀👍",
    'echo "emoji 🎉 in $UNSET quotes"',
    'X="a  b   c"; echo $X; echo "$X"',
    "echo -n no-newline; echo",
    "echo 'tab\\there' \"nl\\nhere\"",
    "echo $UNSET '' \"\" end",
    'printf "%s|" a "b c" d; echo',
    "printf '%d-%s\\n' 1 one 2 two",
    "echo \"\\$HOME\" '$HOME' \\$HOME",
    "false || false || echo third",
    "true && false && echo no; echo status=$?",
    "echo a#b #comment here",
    'X=1 Y=2; echo "$X$Y" ${X}${Y}',
    "echo 'semi;colon' \"amp&&amp\" 'pipe||pipe'",
    "echo `echo backtick` $(echo dollar paren) \"$(echo 'in quotes')\"",
    'A=" lead"; echo x${A}y',
    "echo ${UNSET:-default} ${#X}",
    "echo \\\"quoted\\\" \\'single\\'",
    "echo first && exit 5 || echo nope",
    "echo 'a\\\\b' \"a\\\\b\"",
    "echo '\\0101\\0303\\0251' x",
    "! true; echo $?",
    "echo a >/dev/null; echo b 2>&1",
    "echo $((1+2*3)) \"$((7/2))\"",
    'echo "a\nb"',
    "echo a &&\necho b",
    "X=' a b '; echo [$X] \"[$X]\"",
    "echo '«Grüße» \"中文\" 🇺🇦' | cat",
    "sh -c 'echo before; exit 3'; echo status:$?",
    "sh -c 'echo \"$0|$1|$#\"' name 'a b' c",
    "sh -c \"echo 'it'\\''s' \\\"q\\\"\"; echo $?",
    "echo 'echo from stdin; false' | sh; echo $?",
]


def dash(line: str) -> tuple[bytes, int]:
    result = subprocess.run(["/bin/sh", "-c", line], capture_output=True, env={"PATH": "/usr/bin:/bin"},
                            timeout=10)
    return result.stdout + result.stderr, result.returncode


def sim(line: str) -> tuple[bytes, int]:
    from appliance.sim.android import VirtualAndroid  # `cat` for the pipe line

    class NoUi:
        pass

    return VirtualAndroid("SIMQ", __import__("random").Random(1), NoUi()).run(line)


@pytest.mark.parametrize("line", LINES)
def test_interpreter_matches_dash(line):
    assert sim(line) == dash(line)


def test_the_same_lines_through_adb_shell(adb_server, sim_farm, connected_phones):
    phone = sim_farm(1).phones[0]
    connected_phones([phone])
    for line in LINES:
        result = adb_server.run("-s", phone.address, "shell", line, text=False)
        assert result.stdout == dash(line)[0], line
    assert phone.command_log == LINES  # adb sends a single argument verbatim


def test_syntax_errors_fail_with_status_2():
    for line in ("echo 'unterminated", "echo a; ; echo b", "if true; then echo x; fi"):
        output, status = Shell(lambda name: None).run(line)
        assert status == 2 and output.startswith(b"sh: "), line
