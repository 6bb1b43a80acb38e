"""A POSIX sh subset: real quoting, expansion and field splitting, lists, pipes and redirections.

Pure interpreter, no I/O of its own: commands come from a lookup callable (android.py) and files
through callables, so one `Shell` per command line runs on the stream thread that received it.
Compound commands (if/for/while/case, subshells) are not supported and say so.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Callable

IFS = " \t\n"
_IFS_SPLIT = re.compile("[ \t\n]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_META = set(" \t\n;&|<>()")
_KEYWORDS = {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case",
             "esac", "{", "}", "function", "select"}


class ShellSyntaxError(Exception):
    pass


class ExitShell(Exception):
    def __init__(self, status: int):
        self.status = status


# -- lexer ----------------------------------------------------------------------------------------
# A word is a list of parts: ("lit", text, quoted) | ("var", spec, quoted) | ("cmd", source, quoted)

@dataclass
class Token:
    kind: str            # "word", "op", "io" (redirection), "nl"
    value: object
    fd: int | None = None


def tokenize(src: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c in " \t":
            i += 1
        elif c == "\\" and src.startswith("\\\n", i):
            i += 2
        elif c == "#":
            while i < n and src[i] != "\n":
                i += 1
        elif c == "\n":
            tokens.append(Token("nl", "\n"))
            i += 1
        elif c in ";&|":
            two = src[i:i + 2]
            if two in ("&&", "||", ";;"):
                tokens.append(Token("op", two))
                i += 2
            else:
                tokens.append(Token("op", c))
                i += 1
        elif c in "<>":
            i = _redirection(src, i, None, tokens)
        elif c in "()":
            raise ShellSyntaxError(f"syntax error: '{c}' unexpected")
        else:
            start = i
            parts, i = _word(src, i)
            if i < n and src[i] in "<>" and src[start:i].isdigit():
                i = _redirection(src, i, int(src[start:i]), tokens)
            else:
                tokens.append(Token("word", parts))
    return tokens


def _redirection(src: str, i: int, fd: int | None, tokens: list[Token]) -> int:
    for op in (">>", ">&", "<&", ">|", "<<", "<>", ">", "<"):
        if src.startswith(op, i):
            break
    if op == "<<":
        raise ShellSyntaxError("here-documents are not supported")
    i += len(op)
    while i < len(src) and src[i] in " \t":
        i += 1
    if i >= len(src) or src[i] in _META:
        raise ShellSyntaxError("syntax error: newline unexpected" if i >= len(src) else f"syntax error: '{src[i]}' unexpected")
    parts, i = _word(src, i)
    tokens.append(Token("io", (op if op != ">|" else ">", parts), fd))
    return i


def _word(src: str, i: int) -> tuple[list[tuple], int]:
    parts: list[tuple] = []
    lit: list[str] = []

    def flush(quoted: bool = False) -> None:
        if lit:
            parts.append(("lit", "".join(lit), quoted))
            lit.clear()

    n = len(src)
    while i < n and src[i] not in _META:
        c = src[i]
        if c == "\\":
            if i + 1 < n:
                if src[i + 1] != "\n":
                    flush()
                    parts.append(("lit", src[i + 1], True))
                i += 2
            else:
                lit.append("\\")
                i += 1
        elif c == "'":
            end = src.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("no closing quote")
            flush()
            parts.append(("lit", src[i + 1:end], True))
            i = end + 1
        elif c == '"':
            flush()
            parts.append(("lit", "", True))  # "" alone still makes an (empty) field
            i = _double_quoted(src, i + 1, parts)
        elif c == "$":
            flush()
            part, i = _dollar(src, i, quoted=False)
            parts.append(part)
        elif c == "`":
            flush()
            source, i = _backquote(src, i)
            parts.append(("cmd", source, False))
        else:
            lit.append(c)
            i += 1
    flush()
    return parts, i


def _double_quoted(src: str, i: int, parts: list[tuple]) -> int:
    lit: list[str] = []
    n = len(src)
    while True:
        if i >= n:
            raise ShellSyntaxError("no closing quote")
        c = src[i]
        if c == '"':
            break
        if c == "\\" and i + 1 < n and src[i + 1] in '$`"\\\n':
            if src[i + 1] != "\n":
                lit.append(src[i + 1])
            i += 2
        elif c == "$":
            part, j = _dollar(src, i, quoted=True)
            if part[0] == "lit":
                lit.append(part[1])
            else:
                if lit:
                    parts.append(("lit", "".join(lit), True))
                    lit = []
                parts.append(part)
            i = j
        elif c == "`":
            if lit:
                parts.append(("lit", "".join(lit), True))
                lit = []
            source, i = _backquote(src, i)
            parts.append(("cmd", source, True))
        else:
            lit.append(c)
            i += 1
    if lit:
        parts.append(("lit", "".join(lit), True))
    return i + 1


def _dollar(src: str, i: int, quoted: bool) -> tuple[tuple, int]:
    n = len(src)
    nxt = src[i + 1] if i + 1 < n else ""
    if nxt == "{":
        end = src.find("}", i + 2)
        if end < 0:
            raise ShellSyntaxError("bad substitution")
        return ("var", src[i + 2:end], quoted), end + 1
    if src.startswith("((", i + 1):
        depth, j = 0, i + 1
        while j < n:
            depth += {"(": 1, ")": -1}.get(src[j], 0)
            if depth == 0:
                if src[j - 1] != ")":
                    break
                return ("arith", src[i + 3:j - 1], quoted), j + 1
            j += 1
        raise ShellSyntaxError("missing '))'")
    if nxt == "(":
        depth, j, quote = 1, i + 2, None
        while j < n:
            ch = src[j]
            if quote:
                if ch == quote:
                    quote = None
                elif ch == "\\" and quote == '"':
                    j += 1
            elif ch in "'\"":
                quote = ch
            elif ch == "\\":
                j += 1
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    return ("cmd", src[i + 2:j], quoted), j + 1
            j += 1
        raise ShellSyntaxError("no closing ')'")
    if nxt and nxt in "?$#!-@*0123456789":
        return ("var", nxt, quoted), i + 2
    match = _NAME.match(src, i + 1)
    if match:
        return ("var", match.group(0), quoted), match.end()
    return ("lit", "$", quoted), i + 1


def _backquote(src: str, i: int) -> tuple[str, int]:
    out, j = [], i + 1
    while j < len(src):
        ch = src[j]
        if ch == "`":
            return "".join(out), j + 1
        if ch == "\\" and j + 1 < len(src) and src[j + 1] in "$`\\":
            out.append(src[j + 1])
            j += 2
            continue
        out.append(ch)
        j += 1
    raise ShellSyntaxError("no closing quote")


# -- parser -----------------------------------------------------------------------------------------

@dataclass
class Command:
    assignments: list[tuple[str, list]] = field(default_factory=list)
    words: list[list] = field(default_factory=list)
    redirects: list[tuple[int | None, str, list]] = field(default_factory=list)


@dataclass
class Pipeline:
    commands: list[Command]
    negate: bool = False


def parse(src: str) -> list[list[tuple[str, Pipeline]]]:
    """-> list of and-or lists; each is [(connector, pipeline)], connector "" | "&&" | "||"."""
    tokens = tokenize(src)
    lists: list[list[tuple[str, Pipeline]]] = []
    current: list[tuple[str, Pipeline]] = []
    connector = ""
    pos = 0
    while pos < len(tokens):
        tok = tokens[pos]
        if tok.kind in ("nl",) or (tok.kind == "op" and tok.value in (";", "&")):
            if connector and current is not None and connector != "":
                if connector in ("&&", "||"):
                    pos += 1
                    continue  # a newline may follow && and ||
            if tok.kind == "op" and not current:
                raise ShellSyntaxError(f"syntax error: '{tok.value}' unexpected")
            if current:
                lists.append(current)
            current, connector = [], ""
            pos += 1
            continue
        if tok.kind == "op" and tok.value in ("&&", "||", "|", ";;"):
            raise ShellSyntaxError(f"syntax error: '{tok.value}' unexpected")
        pipeline, pos = _pipeline(tokens, pos)
        current.append((connector, pipeline))
        connector = ""
        if pos < len(tokens) and tokens[pos].kind == "op" and tokens[pos].value in ("&&", "||"):
            connector = tokens[pos].value
            pos += 1
            while pos < len(tokens) and tokens[pos].kind == "nl":
                pos += 1
            if pos >= len(tokens):
                raise ShellSyntaxError("syntax error: end of file unexpected")
    if current:
        lists.append(current)
    return lists


def _pipeline(tokens: list[Token], pos: int) -> tuple[Pipeline, int]:
    negate = False
    if tokens[pos].kind == "word" and _plain(tokens[pos].value) == "!":
        negate, pos = True, pos + 1
    commands = []
    while True:
        command, pos = _command(tokens, pos)
        commands.append(command)
        if pos < len(tokens) and tokens[pos].kind == "op" and tokens[pos].value == "|":
            pos += 1
            while pos < len(tokens) and tokens[pos].kind == "nl":
                pos += 1
            continue
        return Pipeline(commands, negate), pos


def _plain(parts: list) -> str | None:
    """The text of a word made only of unquoted literal text (for keywords and assignments)."""
    if len(parts) == 1 and parts[0][0] == "lit" and not parts[0][2]:
        return parts[0][1]
    return None


def _command(tokens: list[Token], pos: int) -> tuple[Command, int]:
    command = Command()
    while pos < len(tokens):
        tok = tokens[pos]
        if tok.kind == "io":
            op, target = tok.value
            command.redirects.append((tok.fd, op, target))
        elif tok.kind == "word":
            head = tok.value[0] if tok.value else None
            if not command.words and head and head[0] == "lit" and not head[2]:
                match = re.match(r"([A-Za-z_][A-Za-z0-9_]*)=", head[1])
                if match:
                    rest = [("lit", head[1][match.end():], False)] + list(tok.value[1:])
                    command.assignments.append((match.group(1), rest))
                    pos += 1
                    continue
                if not command.words and _plain(tok.value) in _KEYWORDS:
                    raise ShellSyntaxError(f"'{_plain(tok.value)}' (compound commands) is not supported by the simulated shell")
            command.words.append(tok.value)
        else:
            break
        pos += 1
    if not command.words and not command.assignments and not command.redirects:
        raise ShellSyntaxError(f"syntax error: '{tokens[pos].value if pos < len(tokens) else 'end of file'}' unexpected")
    return command, pos


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
    shell: "Shell"


CommandFn = Callable[[list[str], IO], int]


class Shell:
    """One `sh -c` invocation. `lookup(name) -> CommandFn | None`; files via `read_file/write_file`."""

    def __init__(self, lookup: Callable[[str], CommandFn | None],
                 read_file: Callable[[str, str], bytes] | None = None,
                 write_file: Callable[[str, bytes, bool, str], None] | None = None,
                 env: dict[str, str] | None = None, name: str = "sh"):
        self.lookup = lookup
        self.read_file = read_file
        self.write_file = write_file
        self.vars: dict[str, str] = dict(env or {})
        self.status = 0
        self.cwd = "/"
        self.name = name

    def run(self, src: str) -> tuple[bytes, int]:
        """Run a whole command line; returns (stdout+stderr merged in order, exit status)."""
        out = bytearray()
        sink = Sink(out)
        try:
            for and_or in parse(src):
                self._and_or(and_or, sink)
        except ShellSyntaxError as exc:
            sink.write(f"{self.name}: {exc}\n")
            self.status = 2
        except ExitShell as exc:
            self.status = exc.status
        return bytes(out), self.status

    def _and_or(self, and_or: list[tuple[str, Pipeline]], sink: Sink) -> None:
        for connector, pipeline in and_or:
            if connector == "&&" and self.status != 0:
                continue
            if connector == "||" and self.status == 0:
                continue
            self.status = self._pipeline(pipeline, sink)

    def _pipeline(self, pipeline: Pipeline, sink: Sink) -> int:
        stdin = b""
        status = 0
        last = len(pipeline.commands) - 1
        for index, command in enumerate(pipeline.commands):
            if index == last:
                status = self._simple(command, stdin, sink, sink)
            else:
                buffer = bytearray()
                status = self._simple(command, stdin, Sink(buffer), sink)
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
            fds = {0: stdin, 1: out, 2: err}
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
            io = IO(stdin=fds[0], out=fds[1], err=fds[2], shell=self)
            status = self._call(argv, io)
        for path, buffer, append in files:
            try:
                self.write_file(path, bytes(buffer), append, self.cwd)
            except Exception as exc:  # the file system says why in its own words
                err.write(f"{self.name}: can't create {path}: {exc}\n")
                status = 1
        return status

    def _redirect(self, fds: dict, files: list, fd: int | None, op: str, path: str) -> None:
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
            except Exception as exc:
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
        except Exception as exc:
            raise _CommandFailed(f"can't create {path}: {exc}", 1) from None
        files.append((path, buffer, True))
        fds[target] = Sink(buffer)

    def _call(self, argv: list[str], io: IO) -> int:
        name = argv[0]
        builtin = BUILTINS.get(name)
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
        except Exception as exc:  # a broken simulated command must not kill the phone's adbd
            io.err.write(f"{name}: {type(exc).__name__}: {exc}\n")
            return 1

    # -- expansion
    def expand(self, parts: list, split: bool = True) -> list[str]:
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
            pieces = [piece for piece in _IFS_SPLIT.split(text)]
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
            return "0"
        if spec == "0":
            return self.name
        if spec in ("!", "-", "@", "*") or spec.isdigit():
            return ""
        if spec.startswith("#"):
            return str(len(self.vars.get(spec[1:], "")))
        for op in (":-", ":=", "-", "="):
            name, sep, word = spec.partition(op)
            if sep and _NAME.fullmatch(name):
                value = self.vars.get(name)
                empty = value is None or (op.startswith(":") and value == "")
                if empty:
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
        child = Shell(self.lookup, self.read_file, self.write_file, self.vars, self.name)
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


# -- builtins -------------------------------------------------------------------------------------

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
    import posixpath
    target = argv[1] if len(argv) > 1 else io.shell.vars.get("HOME", "/")
    path = posixpath.normpath(posixpath.join(io.shell.cwd, target))
    checker = io.shell.lookup("__isdir__")
    if checker is not None and not checker([path], io):
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
        probe = io.shell.lookup("__stat__")
        kind = probe([value], io) if probe else None  # "file" | "dir" | None
        if op == "-e":
            return kind is not None
        if op == "-f":
            return kind == "file"
        if op == "-d":
            return kind == "dir"
        if op == "-s":
            return kind == "file" and bool(io.shell.lookup("__size__")([value], io))
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


BUILTINS: dict[str, CommandFn] = {
    "echo": _echo, "printf": _printf, "exit": _exit, "export": _export, "unset": _unset,
    "cd": _cd, "pwd": _pwd, "test": _test, "[": _test,
    "true": lambda argv, io: 0, "false": lambda argv, io: 1, ":": lambda argv, io: 0,
}
