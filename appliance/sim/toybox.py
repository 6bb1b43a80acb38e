"""toybox-style file and text commands of the simulated phone: ls, cat, rm, mkdir, touch [-c] [-d|-t], cp, mv,
sleep, md5sum/sha1sum/sha256sum, wc, head, tail, grep.

One `Toybox` per phone over its VirtualFs (which has its own lock); commands run on adbd stream
threads, paths relative to the running shell's cwd. Messages are toybox's.
"""

from __future__ import annotations

import calendar
import hashlib
import posixpath
import re
import time

from appliance.sim.fs import FsError, VirtualFs


class Toybox:
    def __init__(self, fs: VirtualFs):
        self.fs = fs

    def commands(self) -> dict:
        return {
            "ls": self._ls, "cat": self._cat, "rm": self._rm, "mkdir": self._mkdir, "touch": self._touch,
            "cp": self._cp, "mv": self._mv, "sleep": self._sleep, "md5sum": self._hashsum,
            "sha1sum": self._hashsum, "sha256sum": self._hashsum, "wc": self._wc, "head": self._head,
            "tail": self._tail, "grep": self._grep,
        }

    def _ls(self, argv, io):
        flags = "".join(a[1:] for a in argv[1:] if a.startswith("-") and len(a) > 1)
        targets = [a for a in argv[1:] if not a.startswith("-") or a == "-"] or ["."]
        status = 0
        for index, target in enumerate(targets):
            entry = self.fs.stat(target, io.shell.cwd)
            if entry is None:
                io.err.write(f"ls: {target}: No such file or directory\n")
                status = 1
                continue
            if not entry.is_dir:
                io.out.write((self._long(target, entry) if "l" in flags else target) + "\n")
                continue
            if len(targets) > 1:
                io.out.write(("\n" if index else "") + f"{target}:\n")
            names = self.fs.listdir(target, io.shell.cwd)
            if "a" in flags:
                names = [".", "..", *names]
            for name in names:
                if "l" in flags:
                    child = self.fs.stat(posixpath.join(target, name), io.shell.cwd) or entry
                    io.out.write(self._long(name, child) + "\n")
                else:
                    io.out.write(name + "\n")
        return status

    @staticmethod
    def _long(name: str, entry) -> str:
        kind = "d" if entry.is_dir else "-"
        perms = "".join(ch if entry.mode & (1 << (8 - i)) else "-" for i, ch in enumerate("rwxrwxrwx"))
        stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime(entry.mtime))
        return f"{kind}{perms} 1 shell shell {entry.size:>8} {stamp} {name}"

    def _cat(self, argv, io):
        status = 0
        for path in argv[1:] or ["-"]:
            if path == "-":
                io.out.write(io.stdin)
                continue
            try:
                io.out.write(self.fs.read(path, io.shell.cwd))
            except FsError as exc:
                io.err.write(f"cat: {path}: {exc}\n")
                status = 1
        return status

    def _rm(self, argv, io):
        flags = "".join(a[1:] for a in argv[1:] if a.startswith("-"))
        status = 0
        for path in (a for a in argv[1:] if not a.startswith("-")):
            try:
                self.fs.remove(path, recursive="r" in flags.lower(), cwd=io.shell.cwd)
            except FsError as exc:
                if "f" in flags and str(exc) == "No such file or directory":
                    continue
                io.err.write(f"rm: {path}: {exc}\n")
                status = 1
        return status

    def _mkdir(self, argv, io):
        status = 0
        parents = "-p" in argv
        for path in (a for a in argv[1:] if not a.startswith("-")):
            try:
                self.fs.mkdir(path, parents=parents, cwd=io.shell.cwd)
            except FsError as exc:
                io.err.write(f"mkdir: '{path}': {exc}\n")
                status = 1
        return status

    def _touch(self, argv, io):
        """touch [-acm] [-d DATE | -t [[CC]YY]MMDDhhmm[.ss]] FILE...: mtime = now unless given."""
        mtime, create, paths = None, True, []
        args = iter(argv[1:])
        for arg in args:
            if arg in ("-d", "-t"):
                value = next(args, "")
                mtime = _parse_touch_time(arg, value)
                if mtime is None:
                    io.err.write(f"touch: bad date '{value}'\n")
                    return 1
            elif arg.startswith("-") and len(arg) > 1:
                create = create and "c" not in arg
            else:
                paths.append(arg)
        if not paths:
            io.err.write("touch: Needs 1 argument\n")
            return 1
        status = 0
        for path in paths:
            try:
                self.fs.touch(path, mtime, create=create, cwd=io.shell.cwd)
            except FsError as exc:
                io.err.write(f"touch: '{path}': {exc}\n")
                status = 1
        return status

    def _cp(self, argv, io, move: bool = False):
        name = "mv" if move else "cp"
        paths = [a for a in argv[1:] if not a.startswith("-")]
        if len(paths) != 2:
            io.err.write(f"{name}: Needs 2 arguments\n")
            return 1
        source, target = paths
        try:
            data = self.fs.read(source, io.shell.cwd)
            if self.fs.is_dir(target, io.shell.cwd):
                target = posixpath.join(target, posixpath.basename(source))
            keep = move or "-p" in argv  # a rename (or cp -p) keeps the mtime
            entry = self.fs.stat(source, io.shell.cwd)
            self.fs.write(target, data, mtime=entry.mtime if keep and entry else None, cwd=io.shell.cwd)
            if move:
                self.fs.remove(source, cwd=io.shell.cwd)
        except FsError as exc:
            io.err.write(f"{name}: {source}: {exc}\n")
            return 1
        return 0

    def _mv(self, argv, io):
        return self._cp(argv, io, move=True)

    def _sleep(self, argv, io):
        try:
            time.sleep(max(0.0, float(argv[1] if len(argv) > 1 else "x")))
        except ValueError:
            io.err.write("sleep: Need 1 argument\n" if len(argv) < 2
                         else f"sleep: invalid number '{argv[1]}'\n")
            return 1
        return 0

    def _hashsum(self, argv, io):
        algorithm = argv[0].replace("sum", "")
        status = 0
        for path in argv[1:] or ["-"]:
            try:
                data = io.stdin if path == "-" else self.fs.read(path, io.shell.cwd)
            except FsError as exc:
                io.err.write(f"{argv[0]}: {path}: {exc}\n")
                status = 1
                continue
            io.out.write(f"{hashlib.new(algorithm, data).hexdigest()}  {path}\n")
        return status

    def _input_bytes(self, argv, io, name) -> bytes | None:
        files = [a for a in argv[1:] if not a.startswith("-") and not a.isdigit()]
        if not files:
            return io.stdin
        try:
            return b"".join(self.fs.read(f, io.shell.cwd) for f in files)
        except FsError as exc:
            io.err.write(f"{name}: {files[0]}: {exc}\n")
            return None

    def _wc(self, argv, io):
        data = self._input_bytes(argv, io, "wc")
        if data is None:
            return 1
        lines = data.count(b"\n")
        if "-l" in argv:
            io.out.write(f"{lines}\n")
        elif "-c" in argv:
            io.out.write(f"{len(data)}\n")
        else:
            io.out.write(f"{lines} {len(data.split())} {len(data)}\n")
        return 0

    def _head(self, argv, io, tail: bool = False):
        count = 10
        args = argv[1:]
        for index, arg in enumerate(args):
            if arg == "-n" and index + 1 < len(args):
                count = int(args[index + 1])
            elif re.fullmatch(r"-n?\d+", arg):
                count = int(arg.lstrip("-n"))
        data = self._input_bytes([a for a in argv if a != str(count)], io, argv[0])
        if data is None:
            return 1
        lines = data.splitlines(keepends=True)
        io.out.write(b"".join(lines[-count:] if tail else lines[:count]) if count else b"")
        return 0

    def _tail(self, argv, io):
        return self._head(argv, io, tail=True)

    def _grep(self, argv, io):
        flags = "".join(a[1:] for a in argv[1:] if a.startswith("-") and len(a) > 1)
        rest = [a for a in argv[1:] if not (a.startswith("-") and len(a) > 1)]
        if not rest:
            io.err.write("usage: grep [-civqEF] PATTERN [FILE...]\n")
            return 2
        pattern = rest[0]
        data = self._input_bytes(["grep", *rest[1:]], io, "grep")
        if data is None:
            return 2
        regex = re.compile(re.escape(pattern) if "F" in flags else pattern, re.I if "i" in flags else 0)
        hits = [line for line in data.decode("utf-8", "surrogateescape").splitlines()
                if bool(regex.search(line)) != ("v" in flags)]
        if "q" not in flags:
            io.out.write(f"{len(hits)}\n" if "c" in flags else "".join(h + "\n" for h in hits))
        return 0 if hits else 1


def _parse_touch_time(flag: str, value: str) -> float | None:
    """`-d @EPOCH` / `-d "YYYY-MM-DD[ T]hh:mm[:ss]"` / `-t [[CC]YY]MMDDhhmm[.ss]`, read as UTC."""
    if flag == "-d":
        if value.startswith("@"):
            try:
                return float(value[1:])
            except ValueError:
                return None
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                return float(calendar.timegm(time.strptime(value.split(".")[0], fmt)))
            except ValueError:
                continue
        return None
    digits, _, seconds = value.partition(".")
    if not digits.isdigit() or len(digits) not in (8, 10, 12) or (seconds and not seconds.isdigit()):
        return None
    if len(digits) == 8:
        digits = time.strftime("%Y", time.gmtime()) + digits
    elif len(digits) == 10:
        digits = ("20" if int(digits[:2]) < 69 else "19") + digits
    try:
        return float(calendar.timegm(time.strptime(digits + (seconds or "00"), "%Y%m%d%H%M%S")))
    except ValueError:
        return None
