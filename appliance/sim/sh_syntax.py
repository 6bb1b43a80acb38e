"""sh syntax for the simulated shell: the tokenizer (real quoting rules) and the parser of lists,
and-or chains, pipelines and simple commands with redirections.

Pure functions over one command line; called on the adbd stream thread running that line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_META = set(" \t\n;&|<>()")
_KEYWORDS = {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case",
             "esac", "{", "}", "function", "select"}


class ShellSyntaxError(Exception):
    pass


# -- lexer ----------------------------------------------------------------------------------------
# A word is a list of parts: ("lit", text, quoted) | ("var", spec, quoted) | ("cmd", source, quoted)
# | ("arith", expression, quoted)
Part = tuple[str, str, bool]
Word = list[Part]


@dataclass
class Token:
    kind: str            # "word", "op", "io" (redirection), "nl"
    value: str = ""      # the operator ("op", "io") or "\n" ("nl")
    word: Word = field(default_factory=list)  # the word ("word") or the redirection's target ("io")
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
                tokens.append(Token("word", word=parts))
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
        raise ShellSyntaxError("syntax error: newline unexpected" if i >= len(src)
                               else f"syntax error: '{src[i]}' unexpected")
    parts, i = _word(src, i)
    tokens.append(Token("io", op if op != ">|" else ">", parts, fd))
    return i


def _word(src: str, i: int) -> tuple[Word, int]:
    parts: Word = []
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


def _double_quoted(src: str, i: int, parts: Word) -> int:
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


def _dollar(src: str, i: int, quoted: bool) -> tuple[Part, int]:
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
    out: list[str] = []
    j = i + 1
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
    assignments: list[tuple[str, Word]] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    redirects: list[tuple[int | None, str, Word]] = field(default_factory=list)


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
            if tok.kind == "nl" and connector in ("&&", "||"):
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
    if tokens[pos].kind == "word" and _plain(tokens[pos].word) == "!":
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


def _plain(parts: Word) -> str | None:
    """The text of a word made only of unquoted literal text (for keywords and assignments)."""
    if len(parts) == 1 and parts[0][0] == "lit" and not parts[0][2]:
        return parts[0][1]
    return None


def _command(tokens: list[Token], pos: int) -> tuple[Command, int]:
    command = Command()
    while pos < len(tokens):
        tok = tokens[pos]
        if tok.kind == "io":
            command.redirects.append((tok.fd, tok.value, tok.word))
        elif tok.kind == "word":
            head = tok.word[0] if tok.word else None
            if not command.words and head and head[0] == "lit" and not head[2]:
                match = re.match(r"([A-Za-z_][A-Za-z0-9_]*)=", head[1])
                if match:
                    rest: Word = [("lit", head[1][match.end():], False), *tok.word[1:]]
                    command.assignments.append((match.group(1), rest))
                    pos += 1
                    continue
                keyword = _plain(tok.word)
                if not command.words and keyword is not None and keyword in _KEYWORDS:
                    raise ShellSyntaxError(f"'{keyword}' (compound commands) is not supported "
                                           "by the simulated shell")
            command.words.append(tok.word)
        else:
            break
        pos += 1
    if not command.words and not command.assignments and not command.redirects:
        unexpected = tokens[pos].value if pos < len(tokens) else "end of file"
        raise ShellSyntaxError(f"syntax error: '{unexpected}' unexpected")
    return command, pos
