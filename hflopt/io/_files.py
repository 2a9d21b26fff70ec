"""Bounded reading and careful writing of the files hflopt touches.

Reading (:func:`read_bytes`): every input is read with a size cap (plain files
by their size, compressed files and streams while they are decompressed or
read), so that no file -- ``/dev/zero``, a gzip bomb, a huge text file -- makes
hflopt allocate without a bound. Pipes and devices can be read only once: they
are read when the caller names the format, and cached for the rest of the load.

Writing (:func:`output_target`, :func:`write_bytes`, :func:`table_folder`):
hflopt never deletes or replaces anything it did not write.

- A new or existing regular file is replaced atomically (a temporary file next
  to it, then a rename); a symbolic link is followed, so the link stays and
  the file it points to is replaced.
- Pipes (FIFOs) and character devices (``/dev/null``, ``/dev/stdout``) are
  written through, never replaced by a regular file.
- Folders, block devices, sockets and empty names are refused before any work.
- A folder of CSV tables is written to a new temporary folder and swapped in;
  an existing folder is only swapped out when it is empty or holds nothing but
  the tables hflopt writes.
"""

from __future__ import annotations

import bz2
import contextvars
import errno
import gzip
import lzma
import os
import stat
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from hflopt.errors import FormatError, InstanceError, OutputError
from hflopt.limits import ENV_MAX_INPUT, format_size, max_input_bytes

__all__ = [
    "COMPRESSION",
    "OutputTarget",
    "compression",
    "is_stream",
    "output_target",
    "read_bytes",
    "read_once",
    "table_folder",
    "uncompressed",
    "write_bytes",
]

_CHUNK = 1 << 20

#: compressed files are read (and JSON and graph files written) transparently, told by
#: their last extension
COMPRESSION = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz"}
_OPENERS = {"gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}

_cache: contextvars.ContextVar[dict[str, bytes] | None] = contextvars.ContextVar(
    "hflopt_read_cache", default=None)


@contextmanager
def read_once() -> Iterator[None]:
    """Cache whole-file reads inside the block: a pipe is consumed once, a file read once."""
    if _cache.get() is not None:
        yield
        return
    token = _cache.set({})
    try:
        yield
    finally:
        _cache.reset(token)


# ---------------------------------------------------------------- reading
def compression(path: Path) -> str | None:
    """``"gzip"``, ``"bzip2"`` or ``"xz"`` when ``path`` names a compressed file, else None."""
    return COMPRESSION.get(path.suffix.lower())


def uncompressed(path: Path) -> Path:
    """``path`` without its compression extension: its suffix tells the format, its stem the name."""
    return path.with_suffix("") if compression(path) else path


def is_stream(path: Path) -> bool:
    """True for a pipe, a device or a socket: read once, and without a size known beforehand."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _too_big(source: str, cap: int, size: int | None = None, what: str = "holds") -> FormatError:
    amount = f"{format_size(size)}" if size is not None else f"more than {format_size(cap)}"
    return FormatError(
        f"{what} {amount}, over the input size cap of {format_size(cap)} (raise it with "
        f"--max-input-size or {ENV_MAX_INPUT})", source=source)


def _read_capped(fh: BinaryIO, cap: int, source: str, what: str) -> bytes:
    """Everything ``fh`` yields, refusing more than ``cap`` bytes."""
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = fh.read(min(_CHUNK, cap + 1 - total))
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        total += len(chunk)
        if total > cap:
            raise _too_big(source, cap, what=what)


def _read_file(path: Path, kind: str | None, cap: int, limit: int | None, source: str) -> bytes:
    if kind is None:
        with open(path, "rb") as fh:
            if limit is not None:
                return fh.read(limit)
            size = os.fstat(fh.fileno()).st_size
            if stat.S_ISREG(os.fstat(fh.fileno()).st_mode) and size > cap:
                raise _too_big(source, cap, size, what="is")
            return _read_capped(fh, cap, source, "holds")
    with _OPENERS[kind](path, "rb") as fh:
        if limit is not None:
            return fh.read(limit)
        return _read_capped(fh, cap, source, "decompresses to")


def read_bytes(path: Path, source: str, limit: int | None = None) -> bytes:
    """The file's bytes (decompressed for .gz, .bz2 and .xz files), at most ``limit`` of them.

    Whole reads are capped at :func:`max_input_bytes`. Raises an InstanceError
    naming the file when it is missing, a folder, unreadable, too large or not
    valid compressed data.
    """
    cache = _cache.get()
    key = os.path.abspath(path)
    if cache is not None and key in cache:
        data = cache[key]
        return data if limit is None else data[:limit]
    kind = compression(path)
    stream = is_stream(path)
    try:
        data = _read_file(path, kind, max_input_bytes(), None if stream else limit, source)
    except FileNotFoundError:
        raise InstanceError("no such file", source=source) from None
    except IsADirectoryError:
        raise InstanceError("is a folder, expected a file", source=source) from None
    except EOFError:
        raise FormatError(f"{kind} data ends early (a truncated file?)", source=source) from None
    except OSError as exc:  # also gzip.BadGzipFile and bz2's "Invalid data stream" (no errno)
        if kind is None or exc.errno is not None:
            raise InstanceError(f"cannot be read: {exc.strerror or exc}", source=source) from None
        raise FormatError(f"is not valid {kind} data ({exc})", source=source) from None
    except (zlib.error, lzma.LZMAError) as exc:
        raise FormatError(f"is not valid {kind} data ({exc})", source=source) from None
    if cache is not None and (limit is None or stream):
        cache[key] = data
    return data if limit is None else data[:limit]


# ---------------------------------------------------------------- writing
#: the files a CSV table set holds: a folder with nothing else may be replaced
TABLE_FILES = frozenset({"hosts.csv", "devices.csv", "links.csv", "params.csv"})


@dataclass(frozen=True)
class OutputTarget:
    """Where an output goes: ``path`` to write, and how (``file``, ``stream`` or ``folder``)."""

    path: Path
    kind: str
    shown: str


def _refuse(shown: str, message: str) -> InstanceError:
    return InstanceError(message, field="output", value=shown)


def output_target(path: str | os.PathLike[str], *, folder: bool = False) -> OutputTarget:
    """Check an output path before any work is done; say how it will be written.

    Raises an InstanceError (exit status 2 on the command line) for an empty
    name, a missing or unwritable parent folder, a folder where a file is
    expected (or a file where a folder is), a folder with other files in it,
    a block device, a socket or a dangling symbolic link.
    """
    shown = os.fspath(path)
    if not str(shown).strip():
        raise _refuse(shown, "output path is empty")
    p = Path(shown)
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        if p.is_symlink():
            raise _refuse(shown, "is a symbolic link to a missing file; give the link's target "
                                 "instead") from None
        return _new_target(p, shown, folder)
    except OSError as exc:
        raise _refuse(shown, f"cannot be used: {exc.strerror or exc}") from None
    real = Path(os.path.realpath(p))
    if stat.S_ISDIR(mode):
        if not folder:
            raise _refuse(shown, "is a folder; give a file name")
        _check_replaceable_folder(real, shown)
        _check_parent(real, shown)
        return OutputTarget(real, "folder", shown)
    if folder:
        raise _refuse(shown, "exists and is not a folder (CSV tables are written to a folder)")
    if stat.S_ISREG(mode):
        _check_parent(real, shown)
        return OutputTarget(real, "file", shown)
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return OutputTarget(p, "stream", shown)
    what = "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file"
    raise _refuse(shown, f"is {what}; hflopt writes regular files, pipes and character devices")


def check_no_clash(outputs: dict[str, OutputTarget | None], inputs: dict[str, Any]) -> None:
    """Refuse (InstanceError, before any work) an output that is one of the inputs or another output.

    ``outputs`` maps an option name (``--output``) to its checked target, ``inputs``
    an option name to the path it reads (None, or a non-path such as ``daily``: skipped).
    Files are compared after following links, hard links included; pipes and
    character devices (``/dev/null``) may take several outputs.
    """
    seen: dict[tuple, str] = {}
    for name, raw in inputs.items():
        key = _file_key(raw, missing_ok=False)
        if key is not None:
            seen.setdefault(key, f"the input {name}")
    for name, target in outputs.items():
        if target is None or target.kind == "stream":
            continue
        key = _file_key(target.path)
        if key is None:
            continue
        if key in seen:
            raise InstanceError(f"is {seen[key]}; hflopt does not overwrite what it reads or writes twice",
                                field=name, value=target.shown)
        seen[key] = f"also {name}"


def _file_key(path: Any, *, missing_ok: bool = True) -> tuple | None:
    """Identity of a file: (device, inode) when it exists, else (``missing_ok``) its resolved path."""
    if path is None or not isinstance(path, (str, os.PathLike)):
        return None
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return ("path", os.path.realpath(path)) if missing_ok else None
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        return None
    return ("inode", st.st_dev, st.st_ino)


def _new_target(p: Path, shown: str, folder: bool) -> OutputTarget:
    real = Path(os.path.realpath(p))
    _check_parent(real, shown)
    return OutputTarget(real, "folder" if folder else "file", shown)


def _check_parent(real: Path, shown: str) -> None:
    parent = real.parent
    if not parent.is_dir():
        raise _refuse(shown, f"output folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _refuse(shown, f"output folder {parent} is not writable")
    # permissions do not tell everything (root, read-only mounts, /proc): create and remove a
    # probe file of our own, as the atomic write will create its temporary file there
    try:
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".hflopt-probe-")
    except OSError as exc:
        raise _refuse(shown, f"output folder {parent} is not writable ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)


def _check_replaceable_folder(real: Path, shown: str) -> None:
    try:
        entries = list(os.scandir(real))
    except OSError as exc:
        raise _refuse(shown, f"cannot be read: {exc.strerror or exc}") from None
    foreign = sorted(e.name for e in entries if e.name not in TABLE_FILES or not e.is_file(follow_symlinks=False))
    if foreign:
        listed = ", ".join(foreign[:3]) + (" ..." if len(foreign) > 3 else "")
        raise _refuse(shown, f"is a folder with other files in it ({listed}); hflopt writes CSV "
                             "tables to a new folder, an empty one, or one holding only its own "
                             "tables (hosts.csv, devices.csv, links.csv, params.csv)")


def _write_error(target: OutputTarget, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason = f"{reason} (nothing was written)" if target.kind != "stream" else reason
    return OutputError(f"{target.shown}: cannot write: {reason}")


def write_bytes(path: str | os.PathLike[str] | OutputTarget, data: bytes) -> None:
    """Write ``data`` to a file atomically, or through to a pipe or character device."""
    target = path if isinstance(path, OutputTarget) else output_target(path)
    try:
        if target.kind == "stream":
            with open(target.path, "wb") as fh:
                fh.write(data)
            return
        with _atomic_file(target.path) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise _write_error(target, exc) from None


@contextmanager
def _atomic_file(real: Path) -> Iterator[Path]:
    """A temporary file next to ``real``, renamed over it on success (removed on failure)."""
    fd, name = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        try:
            mode = os.lstat(real).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode):  # it changed while hflopt worked
            raise OutputError(f"{real}: is no longer a regular file; not replaced")
        os.chmod(tmp, 0o644 if mode is None else stat.S_IMODE(mode))
        os.replace(tmp, real)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def table_folder(path: str | os.PathLike[str] | OutputTarget) -> Iterator[Path]:
    """Yield a new temporary folder; swap it in for ``path`` on success.

    An existing folder at ``path`` is swapped out only when it is empty or
    holds only hflopt's table files, and then only those files are removed.
    """
    target = path if isinstance(path, OutputTarget) else output_target(path, folder=True)
    real = target.path
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{real.name}.", dir=real.parent))
        # mkdtemp makes it private (0o700): give it the replaced folder's mode, or 0o755 as files get 0o644
        os.chmod(tmp, stat.S_IMODE(os.stat(real).st_mode) if real.is_dir() else 0o755)
    except OSError as exc:
        raise _write_error(target, exc) from None
    try:
        yield tmp
        _swap_in(tmp, target)
    except OSError as exc:
        _remove_tables(tmp)
        raise _write_error(target, exc) from None
    except BaseException:
        _remove_tables(tmp)
        raise


def _swap_in(tmp: Path, target: OutputTarget) -> None:
    real = target.path
    if not real.is_dir():
        tmp.rename(real)
        return
    _check_replaceable_folder(real, target.shown)  # again: it may have changed meanwhile
    old = Path(tempfile.mkdtemp(prefix=f".{real.name}.old.", dir=real.parent))
    old.rmdir()
    real.rename(old)
    try:
        tmp.rename(real)
    except OSError:
        old.rename(real)
        raise
    _remove_tables(old)


def _remove_tables(folder: Path) -> None:
    """Remove a folder hflopt made, file by file: only its own tables, never a tree."""
    for name in TABLE_FILES:
        (folder / name).unlink(missing_ok=True)
    with suppress(OSError):  # not empty: something else is in it, and it stays
        folder.rmdir()

