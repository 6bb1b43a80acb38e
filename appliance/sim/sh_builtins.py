"""The shell's builtins: echo and printf with dash's escapes, exit, export, unset, cd, pwd, test/[.

Called by `Shell` on the stream thread running the command line; they only touch that shell.
"""

from __future__ import annotations

import posixpath
import re

from appliance.sim.fs import FsError
from appliance.sim.shell import IO, CommandFn, ExitShell

_ECHO_ESCAPES = {"a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
                 "v": "\v", "\\": "\\"}


def _escapes(text: str, octal_needs_zero: bool = True) -> tuple[str, bool]:
    """Backslash escapes as dash's echo and printf %b read them; -> (text, stop_output)."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 >= len(text):
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "c":
            return "".join(out), True
        if nxt in _ECHO_ESCAPES:
            out.append(_ECHO_ESCAPES[nxt])
            i += 2
        elif nxt == "0" or (not octal_needs_zero and nxt in "01234567"):
            j = i + 2 if nxt == "0" else i + 1
            digits = ""
            while j < len(text) and len(digits) < 3 and text[j] in "01234567":
                digits += text[j]
                j += 1
            out.append(_byte(int(digits or "0", 8)))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out), False


def _echo(argv: list[str], io: IO) -> int:
    args = argv[1:]
    newline = True
    if args and args[0] == "-n":
        newline, args = False, args[1:]
    text, stop = _escapes(" ".join(args))
    io.out.write(text)
    if newline and not stop:
        io.out.write(b"\n")
    return 0


def _byte(value: int) -> str:
    # Octal escapes make raw bytes: above 0x7F they travel as surrogateescape code points.
    value &= 0xFF
    return chr(value) if value < 0x80 else chr(0xDC00 + value)


def _format_escape(fmt: str, i: int) -> tuple[str, int]:
    """One backslash escape of a printf format at fmt[i] == "\\"; -> (text, next index)."""
    nxt = fmt[i + 1:i + 2]
    if not nxt:
        return "\\", i + 1
    if nxt in "01234567":
        j, digits = i + 1, ""
        while j < len(fmt) and len(digits) < 3 and fmt[j] in "01234567":
            digits += fmt[j]
            j += 1
        return _byte(int(digits, 8)), j
    if nxt in _ECHO_ESCAPES:
        return _ECHO_ESCAPES[nxt], i + 2
    if nxt in "\"'":
        return nxt, i + 2
    return "\\" + nxt, i + 2


def _printf(argv: list[str], io: IO) -> int:
    if len(argv) < 2:
        io.err.write("printf: usage: printf format [arg ...]\n")
        return 2
    fmt, args = argv[1], argv[2:]
    status = 0
    out: list[str] = []
    while True:
        used = 0
        i = 0
        while i < len(fmt):
            c = fmt[i]
            if c == "\\":
                text, i = _format_escape(fmt, i)
                out.append(text)
                continue
            if c != "%":
                out.append(c)
                i += 1
                continue
            match = re.match(r"%([-+ #0]*)(\d*)(?:\.(\d*))?([sdibxXouc%])", fmt[i:])
            if not match:
                out.append(c)
                i += 1
                continue
            flags, width, precision, conv = match.groups()
            i += match.end()
            if conv == "%":
                out.append("%")
                continue
            arg = args[used] if used < len(args) else None
            used += 1
            prec = "." + precision if precision is not None else ""
            if conv in "diouxX":
                try:
                    number = int(arg or "0", 0) if arg and not arg.lstrip("-+").isdigit() else int(arg or "0")
                except ValueError:
                    io.err.write(f"printf: {arg}: expected numeric value\n")
                    number, status = 0, 1
                out.append(("%" + flags + width + prec + ("d" if conv == "i" else conv)) % number)
            elif conv == "c":
                out.append((arg or "")[:1])
            else:
                value = arg or ""
                if conv == "b":
                    value, stop = _escapes(value)
                    if stop:
                        out.append(value)
                        io.out.write("".join(out))
                        return status
                out.append(("%" + flags + width + prec + "s") % value)
        if used == 0 or used >= len(args):
            break
        args = args[used:]
    io.out.write("".join(out))
    return status


def _exit(argv: list[str], io: IO) -> int:
    if len(argv) > 1:
        try:
            raise ExitShell(int(argv[1]) & 0xFF)
        except ValueError:
            io.err.write(f"{io.shell.name}: exit: Illegal number: {argv[1]}\n")
            raise ExitShell(2) from None
    raise ExitShell(io.shell.status)


def _export(argv: list[str], io: IO) -> int:
    for arg in argv[1:]:
        name, sep, value = arg.partition("=")
        if sep:
            io.shell.vars[name] = value
    return 0


def _unset(argv: list[str], io: IO) -> int:
    for name in argv[1:]:
        io.shell.vars.pop(name, None)
    return 0


def _cd(argv: list[str], io: IO) -> int:
    target = argv[1] if len(argv) > 1 else io.shell.vars.get("HOME", "/")
    path = posixpath.normpath(posixpath.join(io.shell.cwd, target))
    stat = io.shell.stat
    found = stat(path, io.shell.cwd) if stat is not None else ("dir", 0)
    if found is None or found[0] != "dir":
        io.err.write(f"{io.shell.name}: cd: {target}: No such file or directory\n")
        return 2
    io.shell.cwd = path
    return 0


def _pwd(argv: list[str], io: IO) -> int:
    io.out.write(io.shell.cwd + "\n")
    return 0


def _test(argv: list[str], io: IO) -> int:
    args = argv[1:]
    if argv[0] == "[":
        if not args or args[-1] != "]":
            io.err.write("[: missing ]\n")
            return 2
        args = args[:-1]
    negate = False
    if args and args[0] == "!":
        negate, args = True, args[1:]
    result = _test_expr(args, io)
    if result is None:
        io.err.write(f"{argv[0]}: syntax error\n")
        return 2
    return 0 if result != negate else 1


def _test_expr(args: list[str], io: IO) -> bool | None:
    if not args:
        return False
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, value = args
        if op == "-n":
            return value != ""
        if op == "-z":
            return value == ""
        stat = io.shell.stat
        found = stat(value, io.shell.cwd) if stat is not None else None
        kind, size = found if found is not None else (None, 0)
        if op == "-e":
            return kind is not None
        if op == "-f":
            return kind == "file"
        if op == "-d":
            return kind == "dir"
        if op == "-s":
            return kind == "file" and size > 0
        return None
    if len(args) == 3:
        left, op, right = args
        if op == "=" or op == "==":
            return left == right
        if op == "!=":
            return left != right
        ints = {"-eq": int.__eq__, "-ne": int.__ne__, "-lt": int.__lt__, "-le": int.__le__,
                "-gt": int.__gt__, "-ge": int.__ge__}
        if op in ints:
            try:
                return ints[op](int(left), int(right))
            except ValueError:
                return None
    return None


def _sh(argv: list[str], io: IO) -> int:
    """`sh -c SCRIPT [NAME ARGS...]`, `sh FILE`, or `sh` reading the script from stdin: a child
    shell with a copy of the variables, writing to the caller's stdout and stderr."""
    from appliance.sim.shell import Shell

    parent = io.shell
    args = argv[1:]
    name = parent.name
    if args[:1] == ["-c"]:
        if len(args) < 2:
            io.err.write(f"{parent.name}: -c: option requires an argument\n")
            return 2
        script, rest = args[1], args[2:]
        if rest:
            name, rest = rest[0], rest[1:]
    elif args:
        if parent.read_file is None:
            io.err.write(f"{parent.name}: {args[0]}: No such file or directory\n")
            return 127
        try:
            script = parent.read_file(args[0], parent.cwd).decode("utf-8", "surrogateescape")
        except FsError as exc:
            io.err.write(f"{parent.name}: {args[0]}: {exc}\n")
            return 127
        name, rest = args[0], args[1:]
    else:
        script, rest = io.stdin.decode("utf-8", "surrogateescape"), []
    child = Shell(parent.lookup, parent.read_file, parent.write_file, parent.vars, name, rest,
                  stat=parent.stat)
    child.cwd = parent.cwd
    return child.execute(script, io.out, io.err)


BUILTINS: dict[str, CommandFn] = {
    "sh": _sh,
    "echo": _echo, "printf": _printf, "exit": _exit, "export": _export, "unset": _unset,
    "cd": _cd, "pwd": _pwd, "test": _test, "[": _test,
    "true": lambda argv, io: 0, "false": lambda argv, io: 1, ":": lambda argv, io: 0,
}
