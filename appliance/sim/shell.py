"""A POSIX sh subset: expansion and field splitting, lists, pipes and redirections over sh_syntax.

No I/O of its own: commands come from a lookup callable (android.py) and files through callables,
so one `Shell` per command line runs on the adbd stream thread that received it. Compound
commands (if/for/while/case, subshells) are not supported and say so.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

from appliance.sim.fs import FsError
from appliance.sim.sh_syntax import _NAME, Command, Pipeline, ShellSyntaxError, Word, parse

IFS = " \t\n"
_BIN_DIRS = ("/system/bin/", "/system/xbin/", "/bin/")
_IFS_SPLIT = re.compile("[ \t\n]+")

__all__ = ["IO", "CommandFn", "ExitShell", "Shell", "ShellSyntaxError", "Sink", "StatFn"]


class ExitShell(Exception):
    def __init__(self, status: int):
        self.status = status


# -- execution -----------------------------------------------------------------------------------

class Sink:
    """Where a file descriptor writes: the shared output buffer, a pipe buffer, a file, or nothing."""

    def __init__(self, buffer: bytearray | None):
        self.buffer = buffer

    def write(self, data: bytes | str) -> None:
        if self.buffer is not None:
            self.buffer += data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data


@dataclass
class IO:
    """What a command sees: argv[0] excluded args, stdin bytes, stdout/stderr sinks, cwd, env."""
    stdin: bytes
    out: Sink
    err: Sink
    shell: Shell


CommandFn = Callable[[list[str], IO], int]
# (path, cwd) -> ("file" | "dir", size in bytes), or None when nothing is there (`test`, `cd`)
StatFn = Callable[[str, str], "tuple[str, int] | None"]


def _readable(fd: bytes | Sink) -> bytes:
    """A command's stdin: a descriptor redirected to an output reads as empty."""
    return fd if isinstance(fd, bytes) else b""


def _writable(fd: bytes | Sink) -> Sink:
    """A command's stdout or stderr: writes to a descriptor redirected to an input are lost."""
    return fd if isinstance(fd, Sink) else Sink(None)


class Shell:
    """One `sh -c` invocation. `lookup(name) -> CommandFn | None`; files via `read_file/write_file`
    (which raise FsError saying why they cannot), their kind and size via `stat`."""

    def __init__(self, lookup: Callable[[str], CommandFn | None],
                 read_file: Callable[[str, str], bytes] | None = None,
                 write_file: Callable[[str, bytes, bool, str], None] | None = None,
                 env: dict[str, str] | None = None, name: str = "sh", args: list[str] | None = None,
                 stat: StatFn | None = None):
        self.lookup = lookup
        self.read_file = read_file
        self.write_file = write_file
        self.stat = stat
        self.vars: dict[str, str] = dict(env or {})
        self.status = 0
        self.cwd = "/"
        self.name = name
        self.args = list(args or [])   # positional parameters $1 ...

    def run(self, src: str) -> tuple[bytes, int]:
        """Run a whole command line; returns (stdout+stderr merged in order, exit status)."""
        out = bytearray()
        sink = Sink(out)
        status = self.execute(src, sink, sink)
        return bytes(out), status

    def execute(self, src: str, out: Sink, err: Sink) -> int:
        """Run `src` writing to the given sinks (a nested `sh -c` shares its caller's)."""
        try:
            for and_or in parse(src):
                self._and_or(and_or, out, err)
        except ShellSyntaxError as exc:
            err.write(f"{self.name}: {exc}\n")
            self.status = 2
        except ExitShell as exc:
            self.status = exc.status
        return self.status

    def _and_or(self, and_or: list[tuple[str, Pipeline]], out: Sink, err: Sink) -> None:
        for connector, pipeline in and_or:
            if connector == "&&" and self.status != 0:
                continue
            if connector == "||" and self.status == 0:
                continue
            self.status = self._pipeline(pipeline, out, err)

    def _pipeline(self, pipeline: Pipeline, out: Sink, err: Sink) -> int:
        stdin = b""
        status = 0
        last = len(pipeline.commands) - 1
        for index, command in enumerate(pipeline.commands):
            if index == last:
                status = self._simple(command, stdin, out, err)
            else:
                buffer = bytearray()
                status = self._simple(command, stdin, Sink(buffer), err)
                stdin = bytes(buffer)
        if pipeline.negate:
            status = 0 if status else 1
        return status

    def _simple(self, command: Command, stdin: bytes, out: Sink, err: Sink) -> int:
        try:
            argv = []
            for word in command.words:
                argv += self.expand(word)
            values = [(name, "".join(self.expand(value, split=False))) for name, value in command.assignments]
            fds: dict[int, bytes | Sink] = {0: stdin, 1: out, 2: err}
            files: list[tuple[str, bytearray, bool]] = []
            for fd, op, target in command.redirects:
                path = "".join(self.expand(target, split=False))
                self._redirect(fds, files, fd, op, path)
        except _CommandFailed as exc:
            err.write(f"{self.name}: {exc}\n")
            return exc.status
        if not argv:
            self.vars.update(values)
            status = 0
        else:
            io = IO(stdin=_readable(fds[0]), out=_writable(fds[1]), err=_writable(fds[2]), shell=self)
            status = self._call(argv, io)
        write_file = self.write_file
        for path, buffer, append in files:
            if write_file is None:  # _redirect opens no file without a file system
                break
            try:
                write_file(path, bytes(buffer), append, self.cwd)
            except FsError as exc:  # the file system says why in its own words
                err.write(f"{self.name}: can't create {path}: {exc}\n")
                status = 1
        return status

    def _redirect(self, fds: dict[int, bytes | Sink], files: list[tuple[str, bytearray, bool]],
                  fd: int | None, op: str, path: str) -> None:
        if op in (">&", "<&"):
            target = 1 if fd is None and op == ">&" else (0 if fd is None else fd)
            if path == "-":
                fds[target] = Sink(None) if target else b""
            elif path.isdigit() and int(path) in fds:
                fds[target] = fds[int(path)]
            else:
                raise _CommandFailed(f"{path}: bad file descriptor", 2)
            return
        if op in ("<", "<>"):
            if self.read_file is None:
                raise _CommandFailed(f"can't open {path}: No such file or directory", 1)
            try:
                fds[0 if fd is None else fd] = self.read_file(path, self.cwd)
            except FsError as exc:
                raise _CommandFailed(f"can't open {path}: {exc}", 1) from None
            return
        target = 1 if fd is None else fd
        if path == "/dev/null":
            fds[target] = Sink(None)
            return
        if self.write_file is None:
            raise _CommandFailed(f"can't create {path}: Read-only file system", 1)
        buffer = bytearray()
        try:  # create (or truncate) now, as sh does, so errors come before the command runs
            self.write_file(path, b"", op == ">>", self.cwd)
        except FsError as exc:
            raise _CommandFailed(f"can't create {path}: {exc}", 1) from None
        files.append((path, buffer, True))
        fds[target] = Sink(buffer)

    def _call(self, argv: list[str], io: IO) -> int:
        name = argv[0]
        builtin = BUILTINS.get(name.rpartition("/")[2] if name.startswith(_BIN_DIRS) else name)
        try:
            if builtin is not None:
                return builtin(argv, io)
            fn = self.lookup(name)
            if fn is None:
                io.err.write(f"{self.name}: {name}: not found\n")
                return 127
            return fn(argv, io)
        except ExitShell:
            raise
        except Exception as exc:  # noqa: BLE001 - a broken command must not kill the phone's adbd
            io.err.write(f"{name}: {type(exc).__name__}: {exc}\n")
            return 1

    # -- expansion
    def expand(self, parts: Word, split: bool = True) -> list[str]:
        fields: list[str] = []
        cur: list[str] = []
        has = False

        def push() -> None:
            nonlocal has
            if has:
                fields.append("".join(cur))
            cur.clear()
            has = False

        for part in parts:
            kind, value, quoted = part
            if kind == "lit":
                cur.append(value)
                has = True
                continue
            if kind == "var":
                text = self._param(value)
            elif kind == "arith":
                text = self._arith(value)
            else:
                text = self._substitute(value)
            if quoted or not split:
                cur.append(text)
                has = True
                continue
            if not text:
                continue
            pieces = list(_IFS_SPLIT.split(text))
            if text[0] in IFS:
                push()
                pieces = pieces[1:]
            if text[-1] in IFS and pieces:
                pieces = pieces[:-1]
                trailing = True
            else:
                trailing = False
            for index, piece in enumerate(pieces):
                if index:
                    push()
                cur.append(piece)
                has = True
            if trailing:
                push()
        push()
        if not split:
            return ["".join(fields)] if fields else [""]
        return fields

    def _param(self, spec: str) -> str:
        if spec == "?":
            return str(self.status)
        if spec == "$":
            return "4242"
        if spec == "#":
            return str(len(self.args))
        if spec == "0":
            return self.name
        if spec.isdigit():
            return self.args[int(spec) - 1] if int(spec) <= len(self.args) else ""
        if spec in ("@", "*"):
            return " ".join(self.args)
        if spec in ("!", "-"):
            return ""
        if spec.startswith("#"):
            return str(len(self.vars.get(spec[1:], "")))
        for op in (":-", ":=", "-", "="):
            name, sep, word = spec.partition(op)
            if sep and _NAME.fullmatch(name):
                value = self.vars.get(name)
                if value is None or (op.startswith(":") and value == ""):
                    if op.endswith("="):
                        self.vars[name] = word
                    return word
                return value
        if not _NAME.fullmatch(spec):
            raise _CommandFailed(f"${{{spec}}}: bad substitution", 2)
        return self.vars.get(spec, "")

    def _arith(self, expr: str) -> str:
        def value(match: re.Match) -> str:
            text = self.vars.get(match.group(1), "0") or "0"
            return text if re.fullmatch(r"-?\d+", text) else "0"
        expr = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*|\?)\}?",
                      lambda m: str(self.status) if m.group(1) == "?" else value(m), expr)
        expr = re.sub(r"\b([A-Za-z_][A-Za-z0-9_]*)\b", value, expr)
        try:
            return str(_eval_int(ast.parse(expr.strip() or "0", mode="eval").body))
        except (SyntaxError, ValueError, ZeroDivisionError) as exc:
            raise _CommandFailed(f"arithmetic expression: {exc}: \"{expr}\"", 2) from None

    def _substitute(self, source: str) -> str:
        child = Shell(self.lookup, self.read_file, self.write_file, self.vars, self.name,
                      stat=self.stat)
        child.cwd = self.cwd
        child.status = self.status
        output, status = child.run(source)
        self.status = status
        return output.decode("utf-8", "surrogateescape").rstrip("\n")


_ARITH = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
          ast.Div: lambda a, b: int(a / b), ast.FloorDiv: lambda a, b: int(a / b),
          ast.Mod: lambda a, b: a - b * int(a / b)}


def _eval_int(node: ast.AST) -> int:
    """Integer arithmetic only (C semantics: division truncates toward zero)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return -_eval_int(node.operand) if isinstance(node.op, ast.USub) else _eval_int(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        return _ARITH[type(node.op)](_eval_int(node.left), _eval_int(node.right))
    raise ValueError("syntax error")


class _CommandFailed(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


# Builtins need IO and ExitShell from above; imported last to break the cycle.
from appliance.sim.sh_builtins import BUILTINS  # noqa: E402
