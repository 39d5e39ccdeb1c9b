"""Saved models: the JSON file format, how it is written safely and how it is read back.

**The file.** A saved model is one JSON object::

    {"format": "autograd-core-model", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 1], ...},
     "num_parameters": 65, "checksum": "sha256:...", "metadata": {...},
     "parameters": {"layers.0.neurons.0.w.0": 0.123, ...}}

The ``architecture`` is what :meth:`Module.config <autograd_core.nn.Module.config>` returns;
``parameters`` maps every dotted parameter name to its value. The checksum is a SHA-256 of a
canonical text of those two fields, so a file changed after saving (even by one digit of one
number, which still parses as JSON) is refused. Someone who edits a file on purpose removes the
``checksum`` field. Python writes a float as its ``repr``, which reads back as the very same
float, so a save then load round trip is bit-exact.

**Who does what.** This module knows the file format and nothing about model classes; it never
imports :mod:`autograd_core.nn`, which imports it. The layering is:

* ``checkpoint`` writes and reads files, checks the envelope (format marker, version,
  checksum, field types), checks the *layout* of an architecture (which fields a ``Neuron``, a
  ``Layer`` or an ``MLP`` has, that sizes are positive integers and activations strings) and
  computes the parameter count it implies.
* ``nn`` owns building. :func:`autograd_core.nn.load_model` passes a *builder*, a function that
  turns a checked :class:`Architecture` into a module, to :func:`load_model` here. Whether an
  activation name is one the library knows is the builder's question (the ``Neuron``, ``Layer``
  and ``MLP`` constructors answer it), so the list of activations lives in one place.

A model is anything with ``config()``, ``state_dict()`` and ``load_state_dict()`` (the
:class:`Model` protocol), so a user's own ``nn.Module`` subclass saves and loads too.

**Writing.** :func:`save` serialises the whole document first (a bad metadata value fails
before any file is touched), then writes it to a temporary file next to the target, flushes it
to disk and renames it over the target in one step: at every moment the target holds either
the previous model or the complete new one. Four details around that rename:

* *Temporary files of a crashed save.* A process killed between creating its temporary file
  (``.model.json.<pid>.<hex>.tmp``) and the rename cannot clean up. The next save of the same
  target removes such files whose process no longer exists (POSIX only: there is no harmless
  way to ask Windows whether a process id is alive). Files of running processes, and of other
  targets, are left alone. On a directory shared between machines a process id says nothing
  about the other machine, so run one saver per target there.
* *Permissions.* Saving over an existing file keeps its permission bits: a model kept private
  with ``chmod 600`` stays private. The temporary file is created with those bits from the
  start, so the new contents are never more readable than the old ones were. A new file gets
  the usual ``0o666`` less the umask.
* *Symbolic links.* Saving to a symlink writes to the file it points to, as ``open(path, "w")``
  would: the link stays a link (``latest.json -> run-7/model.json`` keeps working) and the
  temporary file is made next to the real file, where the rename is atomic. A chain of links
  is followed to its end; a dangling link creates the file it names.
* *Files that are not files.* A target (or a link's target) that exists and is not a regular
  file is refused before anything is written: a rename would replace a FIFO or a device with
  a regular file (``/dev/null``, for a process running as root). A directory is an
  ``IsADirectoryError``.

The writing half is :func:`write_atomically`, public so that other files (the graph pictures)
are written the same way.

**Reading.** :func:`read` refuses anything but a regular file before reading a byte: it opens
without blocking (a FIFO with no writer would otherwise hang the open) and looks at the open
file itself (``fstat``), so a device such as ``/dev/zero`` is refused instead of read until
memory runs out. Files larger than :data:`MAX_FILE_BYTES`, a constant, are refused as well,
and no more than that is ever read even if the file grows meanwhile. JSON is parsed with
``NaN``, ``Infinity`` and duplicate keys refused; nothing is ever unpickled or evaluated.

**Loading** checks the whole file before a single parameter changes, and every step is linear
in the number of parameters: names are compared through sets built once, values are checked
one by one. :func:`load_model` compares the parameter count the architecture implies with the
number of values in the file *before* building anything, so a small file cannot make us
allocate a huge model. Every problem with a file's contents is a :class:`CheckpointError` (a
``ValueError``) that starts with the file's path and names the field and the value at fault.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import json
import math
import os
import re
import secrets
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from autograd_core._checks import choice, exact_keys, integer, real

__all__ = [
    "CheckpointError",
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_FILE_BYTES",
    "Model",
    "Architecture",
    "Checkpoint",
    "save",
    "write_atomically",
    "read",
    "parse_architecture",
    "checked_state",
    "load_into",
    "load_model",
]

FORMAT = "autograd-core-model"
"""The marker in the ``"format"`` field of every saved model."""

FORMAT_VERSION = 1
"""The version of the JSON layout written by :func:`save`."""

MAX_FILE_BYTES = 1 << 30
"""The largest file :func:`read` accepts: 1 GiB, some 15 million parameters.

A constant on purpose: a limit taken from the file (its ``num_parameters``, say) would let the
file choose it. A scalar-autodiff model of that size would need tens of gigabytes of memory
anyway; raise the limit here if you really have one.
"""


class CheckpointError(ValueError):
    """A saved model that cannot be loaded: corrupt, truncated, of another shape or format."""


class Model(Protocol):
    """What :func:`save` and :func:`load_into` need of a model (``nn.Module`` has all three)."""

    def config(self) -> dict[str, Any]: ...

    def state_dict(self) -> dict[str, float]: ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None: ...


M = TypeVar("M", bound=Model)

_ENVELOPE = frozenset(
    ("format", "version", "architecture", "num_parameters", "checksum", "metadata", "parameters")
)
"""The top-level fields of a saved model."""

_CHECKSUM = re.compile(r"sha256:[0-9a-f]{64}")
"""What :func:`save` writes in the ``"checksum"`` field."""

# The fields of each architecture in format version 1, in the order ``config()`` writes them.
_FIELDS: dict[str, tuple[str, ...]] = {
    "Neuron": ("type", "nin", "activation"),
    "Layer": ("type", "nin", "nout", "activation"),
    "MLP": ("type", "nin", "nouts", "activation", "output_activation"),
}


@dataclass(frozen=True)
class Architecture:
    """The architecture of a ``Neuron``, ``Layer`` or ``MLP`` read from a file, fields checked.

    Attributes:
        kind: ``"Neuron"``, ``"Layer"`` or ``"MLP"``.
        nin: Number of inputs.
        widths: The width of each layer: ``(1,)`` for a neuron, ``(nout,)`` for a layer.
        activation: The activation name as stored (whether it is known is the builder's check).
        output_activation: An MLP's last-layer activation; ``None`` for the other kinds.

    Example:
        >>> from autograd_core.checkpoint import Architecture
        >>> Architecture("MLP", 2, (16, 16, 1), "relu", "linear").num_parameters
        337
    """

    kind: str
    nin: int
    widths: tuple[int, ...]
    activation: str
    output_activation: str | None = None

    @property
    def num_parameters(self) -> int:
        """Weights and biases of every layer: ``Σ (inputs + 1) · width``."""
        sizes = (self.nin, *self.widths)
        return sum((fan_in + 1) * width for fan_in, width in itertools.pairwise(sizes))


@dataclass(frozen=True)
class Checkpoint:
    """The checked contents of a saved model, as :func:`read` returns them.

    Attributes:
        architecture: The ``"architecture"`` object, unchecked beyond being an object (a
            model's own ``config()`` is compared with it, or :func:`parse_architecture`).
        parameters: The ``"parameters"`` object: parameter name to value.
        metadata: The ``"metadata"`` object (``{}`` when the file has none).
        num_parameters: The ``"num_parameters"`` field, a non-negative integer, or ``None``
            when the file has none. :func:`load_into` and :func:`load_model` compare it with
            the parameters once the architecture and the names are known to fit, so that a
            missing parameter is reported as such rather than as a wrong count.

    Example:
        >>> import pathlib, tempfile
        >>> from autograd_core import checkpoint, nn
        >>> path = nn.Neuron(2, seed=0).save(pathlib.Path(tempfile.mkdtemp()) / "n.json")
        >>> sorted(checkpoint.read(path).parameters)
        ['b', 'w.0', 'w.1']
    """

    architecture: dict[str, Any]
    parameters: dict[str, Any]
    metadata: dict[str, Any]
    num_parameters: int | None = None


# -- writing -----------------------------------------------------------------------------------


def save(model: Model, path: str | os.PathLike[str], metadata: Mapping[str, Any] | None) -> Path:
    """Write ``model`` to ``path`` atomically (``Module.save`` calls this; see the module doc).

    Args:
        model: A model with ``config()`` and ``state_dict()``.
        path: Where to write; a symlink is written through to its target.
        metadata: JSON-serialisable notes stored alongside, or ``None``.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ValueError: a parameter is ``nan`` or infinite, or ``path`` is a FIFO or a device
            (nothing is written).
        TypeError: ``metadata`` is not a mapping, or holds something JSON cannot.
        OSError: the file cannot be written (``IsADirectoryError`` for a directory).

    Example:
        >>> import pathlib, tempfile
        >>> from autograd_core import checkpoint, nn
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.json"
        >>> checkpoint.save(nn.Neuron(2, seed=0), path, {"note": "first try"}) == path
        True
        >>> checkpoint.read(path).metadata
        {'note': 'first try'}
    """
    path = Path(path)
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(
            f"save: metadata must be a mapping or None, got {type(metadata).__name__} "
            f"{_short(metadata)}"
        )
    state = model.state_dict()
    for name, value in state.items():
        if not math.isfinite(value):
            raise ValueError(
                f"save: parameter {name!r} is {value!r}: the model has diverged; "
                f"nothing was written to {str(path)!r}"
            )
    architecture = model.config()
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "architecture": architecture,
        "num_parameters": len(state),
        "checksum": _checksum(architecture, state),
        "metadata": dict(metadata) if metadata is not None else {},
        "parameters": state,
    }
    # Serialise completely before opening any file, so a bad metadata value fails cleanly.
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    write_atomically(path, text)
    return path


# The temporary files this process is writing right now (absolute paths). A temporary file
# that carries our own process id but is not in here was left by an earlier process that had
# the same id (ids are reused, and a container's main process often gets the same one on
# every run), so it is stale too.
_IN_PROGRESS: set[str] = set()


def write_atomically(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Replace the file at ``path`` with ``data`` in one step, never leaving half a file.

    :func:`save` writes models with it; the graph pictures use it too. ``data`` goes to a
    temporary file next to the target (``.{name}.{pid}.{hex}.tmp``), is flushed to disk, and
    the temporary file is renamed over the target, so readers see the old file or the new one,
    even if the process is killed. Stale temporary files of killed writers of the same target
    are removed first; an existing file keeps its permission bits; a symlink is written through
    to the file it points to (the link stays). The module docstring says why each.

    Args:
        path: The file to create or replace.
        data: Text (written as UTF-8) or bytes.

    Returns:
        ``path`` as a ``Path`` (the link itself, when it is a symlink).

    Raises:
        TypeError: ``data`` is neither ``str`` nor ``bytes``.
        ValueError: ``path`` exists and is not a regular file (a FIFO, a device such as
            ``/dev/null``): replacing it would remove it, so nothing is written.
        IsADirectoryError: ``path`` is a directory.
        OSError: the directory is missing or not writable, the disk is full, ... (the target
            is then unchanged and the temporary file removed).

    Example:
        >>> import pathlib, tempfile
        >>> from autograd_core.checkpoint import write_atomically
        >>> path = write_atomically(pathlib.Path(tempfile.mkdtemp()) / "notes.txt", "hello\\n")
        >>> path.read_text(), write_atomically(path, b"bytes too").read_bytes()
        ('hello\\n', b'bytes too')
    """
    if isinstance(data, str):
        payload = data.encode("utf-8")
    elif isinstance(data, bytes):
        payload = data
    else:
        raise TypeError(f"write_atomically: data must be str or bytes, got {type(data).__name__}")
    path = Path(path)
    target = _real_target(path)
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if info is not None and not stat.S_ISREG(info.st_mode):
        # The rename would swap the FIFO or device for a regular file (for root, even
        # /dev/null); writing into it instead would not be atomic. Neither: refuse.
        shown = repr(str(path)) if target == path else f"{str(path)!r} (-> {str(target)!r})"
        raise ValueError(
            f"cannot write {shown}: it is {_file_kind(info.st_mode)}, not a regular file; "
            "nothing was written"
        )
    mode = None if info is None else stat.S_IMODE(info.st_mode) & 0o777
    _remove_stale_temporaries(target)
    # The temporary file lives in the target's directory: a rename is only atomic within one
    # file system. It is opened with "x" (not mkstemp, whose files are always 0600) and created
    # with the old file's bits, or the usual 0666 less the umask for a new file.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")

    created = False

    def create(name: str, flags: int) -> int:
        nonlocal created
        fd = os.open(name, flags, 0o666 if mode is None else mode)
        created = True
        if mode is not None and hasattr(os, "fchmod"):
            try:
                os.fchmod(fd, mode)  # the umask may have cleared some of the bits
            except BaseException:
                os.close(fd)
                raise
        return fd

    key = os.path.abspath(tmp)
    _IN_PROGRESS.add(key)
    try:
        with open(tmp, "xb", opener=create) as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())  # the bytes reach the disk before the name points at them
        os.replace(tmp, target)
    except BaseException:
        if created:  # never remove a file of the same name that we did not create
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    finally:
        _IN_PROGRESS.discard(key)
    if os.name == "posix":  # make the rename itself durable across a power cut
        with contextlib.suppress(OSError):
            fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    return path


def _real_target(path: Path) -> Path:
    """The file a save to ``path`` should replace: the end of the symlink chain, if any."""
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def _remove_stale_temporaries(target: Path) -> None:
    """Remove ``.{name}.{pid}.{8 hex}.tmp`` files of ``target`` whose process has died."""
    if os.name != "posix":
        return  # os.kill(pid, 0) would terminate the process on Windows, not probe it
    prefix = f".{target.name}."
    with contextlib.suppress(OSError), os.scandir(target.parent) as entries:
        for entry in entries:
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            # Exactly "<digits>.<8 hex digits>" between the prefix and ".tmp": another target's
            # temporary files (".model.json.1.json.<pid>.<hex>.tmp") never parse as ours.
            pid_text, dot, token = name[len(prefix) : -len(".tmp")].partition(".")
            if not (dot and _is_pid(pid_text) and _is_token(token)):
                continue
            pid = int(pid_text)
            mine = pid == os.getpid()
            in_use = os.path.abspath(entry.path) in _IN_PROGRESS if mine else _alive(pid)
            if in_use:
                continue
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _is_pid(text: str) -> bool:
    return 0 < len(text) <= 10 and text.isascii() and text.isdigit() and int(text) > 0


def _is_token(text: str) -> bool:
    return len(text) == 8 and all(c in "0123456789abcdef" for c in text)


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (True when unsure: a file is only removed if dead)."""
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # PermissionError: it exists but belongs to someone else
        return True
    return True


def _checksum(architecture: Mapping[str, Any], parameters: Mapping[str, Any]) -> str:
    """SHA-256 of a canonical JSON text of the architecture and the parameters.

    Floats are written as their ``repr``, which reads back as the same float, so the text, and
    the hash, computed after loading equal those computed before saving.
    """
    canonical = json.dumps(
        {"architecture": architecture, "parameters": parameters},
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# -- reading -----------------------------------------------------------------------------------


def read(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a saved model and check its envelope: format, version, field types and checksum.

    The architecture and parameters are returned as stored; :func:`load_into` and
    :func:`load_model` check them against a model.

    Args:
        path: A file written by :func:`save`.

    Returns:
        The file's architecture, parameters and metadata.

    Raises:
        CheckpointError: the file is not a regular file, is too large, or is not a saved model.
        OSError: the file cannot be opened (missing, a directory, no permission).

    Example:
        >>> import pathlib, tempfile
        >>> from autograd_core import checkpoint, nn
        >>> path = nn.MLP(2, [3, 1], seed=0).save(pathlib.Path(tempfile.mkdtemp()) / "m.json")
        >>> checkpoint.read(path).architecture["nouts"]
        [3, 1]
        >>> _ = path.write_text('{"format": "autograd-core-model", "version": 7}')
        >>> checkpoint.read(path)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        autograd_core.checkpoint.CheckpointError: ...: unsupported format version 7; ...
    """
    where = os.fspath(path)
    document = _checked_envelope(where, _parsed_json(where, _read_bytes(where)))
    architecture = document.get("architecture")
    if not isinstance(architecture, dict):
        raise CheckpointError(f'{where}: the "architecture" field is missing or not an object')
    parameters = document.get("parameters")
    if not isinstance(parameters, dict):
        raise CheckpointError(f'{where}: the "parameters" field is missing or not an object')
    metadata = document.get("metadata", {})
    if not isinstance(metadata, dict):
        raise CheckpointError(f'{where}: the "metadata" field is not an object')
    # Optional (files written by hand may leave it out), but never wrong; its value is compared
    # with the parameters when they are loaded (see _check_count).
    count = document.get("num_parameters")
    if "num_parameters" in document and (type(count) is not int or count < 0):
        raise CheckpointError(
            f'{where}: the "num_parameters" field must be the number of entries of '
            f'"parameters", {len(parameters)}, got {type(count).__name__} {_short(count)}'
        )
    # A changed digit in a number still parses; the checksum catches it. Files written by hand
    # may leave the field out.
    if "checksum" in document:
        _check_checksum(where, document["checksum"], architecture, parameters)
    return Checkpoint(architecture, parameters, metadata, count)


def _parsed_json(where: str, raw: bytes) -> Any:
    """The JSON value in ``raw``: UTF-8 text, no ``NaN`` or ``Infinity``, no duplicate keys."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError(f"{where}: not a saved model (the file is not UTF-8 text)") from None
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_dupes)
    except json.JSONDecodeError as exc:
        raise CheckpointError(
            f"{where}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            "the file is truncated or corrupted"
        ) from None
    except RecursionError:
        raise CheckpointError(f"{where}: not a saved model (JSON nested too deeply)") from None
    except ValueError as exc:  # from the two hooks, or an integer of too many digits
        raise CheckpointError(f"{where}: {exc}") from None


def _checked_envelope(where: str, document: Any) -> dict[str, Any]:
    """``document`` if it is a saved model's top-level object: format marker, fields, version.

    The values of the other fields are checked by :func:`read`.
    """
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CheckpointError(
            f'{where}: not a saved autograd-core model (no "format": "{FORMAT}" field)'
        )
    # Only the fields save() writes: a damaged key (a "checksum" with a byte flipped) must not
    # pass for a hand-edited file without a checksum.
    unknown = sorted(set(document) - _ENVELOPE)
    if unknown:
        raise CheckpointError(
            f"{where}: unknown top-level field(s) {', '.join(map(_short, unknown[:3]))}; "
            f"a saved model has only {', '.join(sorted(_ENVELOPE))}"
        )
    version = document.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise CheckpointError(
            f"{where}: unsupported format version {_short(version)}; this version of "
            f"autograd-core reads version {FORMAT_VERSION}"
        )
    return document


def _check_checksum(
    where: str, checksum: Any, architecture: dict[str, Any], parameters: dict[str, Any]
) -> None:
    """Refuse a ``"checksum"`` that is malformed or not that of the architecture and parameters.

    Fields whose checksum cannot even be computed pass here: the later checks name the fault.
    """
    if not (isinstance(checksum, str) and _CHECKSUM.fullmatch(checksum)):
        raise CheckpointError(
            f'{where}: the "checksum" field must be "sha256:" and 64 hexadecimal digits, '
            f"got {type(checksum).__name__} {_short(checksum)}"
        )
    try:
        actual: str | None = _checksum(architecture, parameters)
    except (TypeError, ValueError, RecursionError):  # caught by the later checks
        actual = None
    if actual is not None and checksum != actual:
        raise CheckpointError(
            f"{where}: checksum mismatch: the architecture or the parameters were changed "
            'or corrupted after saving (remove the "checksum" field to load a file you '
            "edited on purpose)"
        )


def _read_bytes(where: str) -> bytes:
    """The bytes of a regular file of at most ``MAX_FILE_BYTES``, or a clear refusal."""
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. It
    # changes nothing for a regular file. The checks look at the opened file itself (fstat),
    # so the file cannot be swapped between the check and the read.
    flags = os.O_RDONLY
    for name in ("O_NONBLOCK", "O_BINARY", "O_CLOEXEC"):  # the ones this OS has
        flags |= getattr(os, name, 0)
    fd = os.open(where, flags)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), where)
        if not stat.S_ISREG(info.st_mode):
            raise CheckpointError(
                f"{where}: not a saved model: it is {_file_kind(info.st_mode)}, not a regular file"
            )
        limit = MAX_FILE_BYTES
        if info.st_size > limit:
            raise CheckpointError(_too_large(where, f"{info.st_size} bytes", limit))
        chunks = []
        remaining = limit + 1  # one byte more than allowed tells a file that grew meanwhile
        while remaining > 0:
            chunk = os.read(fd, min(remaining, max(info.st_size + 1, 1 << 16)))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        if remaining <= 0:
            raise CheckpointError(_too_large(where, f"more than {limit} bytes", limit))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_large(where: str, size: str, limit: int) -> str:
    return (
        f"{where}: the file is {size}, larger than the {limit} bytes a saved model may have "
        "(autograd_core.checkpoint.MAX_FILE_BYTES)"
    )


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((text for test, text in kinds if test(mode)), "a special file")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"the file holds {name}, which is not a finite number")


def _no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):  # only then look for the culprit
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r} appears twice")
            seen.add(key)
    return result


# -- checking ----------------------------------------------------------------------------------


def parse_architecture(architecture: Any, where: str) -> Architecture:
    """Check the layout of an architecture read from a file (types, fields, sizes).

    Args:
        architecture: The ``"architecture"`` object of a file.
        where: The file's path, the start of every message.

    Returns:
        The architecture with every field checked and typed.

    Raises:
        CheckpointError: naming the field and its value.

    Example:
        >>> from autograd_core.checkpoint import parse_architecture
        >>> parse_architecture({"type": "Layer", "nin": 2, "nout": 3, "activation": "tanh"}, "f")
        Architecture(kind='Layer', nin=2, widths=(3,), activation='tanh', output_activation=None)
        >>> parse_architecture({"type": ["MLP"]}, "f")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        autograd_core.checkpoint.CheckpointError: f: architecture.type must be ..., got list ['MLP']
    """
    try:
        return _parse_architecture(architecture, where)
    except CheckpointError:
        raise
    except (TypeError, ValueError) as exc:  # from the _checks helpers: the file is at fault
        raise CheckpointError(str(exc)) from None


def _parse_architecture(arch: Any, where: str) -> Architecture:
    if not isinstance(arch, Mapping):
        raise CheckpointError(f'{where}: the "architecture" field is not an object')
    if "type" not in arch:
        raise CheckpointError(f'{where}: the architecture has no "type" field')
    kind = choice(arch["type"], "architecture.type", where, _FIELDS)
    fields = _FIELDS[kind]
    if set(arch) != set(fields):
        raise CheckpointError(
            f"{where}: the architecture of a {kind} needs the fields {sorted(fields)}, "
            f"got {sorted(str(key) for key in arch)}"
        )
    nin = integer(arch["nin"], "architecture.nin", where, minimum=1)
    if kind == "MLP":
        nouts = arch["nouts"]
        if not isinstance(nouts, list) or not nouts:
            raise CheckpointError(
                f"{where}: architecture.nouts must be a non-empty list of layer widths, got "
                f"{type(nouts).__name__} {_short(nouts)}"
            )
        widths = tuple(
            integer(n, f"architecture.nouts[{i}]", where, minimum=1) for i, n in enumerate(nouts)
        )
    elif kind == "Layer":
        widths = (integer(arch["nout"], "architecture.nout", where, minimum=1),)
    else:
        widths = (1,)
    activation = _string(arch["activation"], "architecture.activation", where)
    output = (
        _string(arch["output_activation"], "architecture.output_activation", where)
        if kind == "MLP"
        else None
    )
    return Architecture(kind, nin, widths, activation, output)


def _string(value: Any, name: str, where: str) -> str:
    if not isinstance(value, str):
        raise CheckpointError(
            f"{where}: {name} must be a string, got {type(value).__name__} {_short(value)}"
        )
    return value


def checked_state(names: Sequence[str], state: Any, where: str) -> list[float]:
    """The values of ``state`` for ``names``, in that order, once all of them are checked.

    ``state`` must map exactly ``names`` (no name missing, none extra) to finite real numbers.
    Linear in the number of names: the names are compared through sets built once.

    Args:
        names: The parameter names of a model, in its order.
        state: What ``load_state_dict`` was given.
        where: Where the check happens, the start of every message.

    Returns:
        One float per name.

    Raises:
        TypeError: ``state`` is not a mapping, or a value is not a real number.
        ValueError: a name is missing or unexpected, or a value is not finite.

    Example:
        >>> from autograd_core.checkpoint import checked_state
        >>> checked_state(["w", "b"], {"b": 1, "w": 0.5}, "Line.load_state_dict")
        [0.5, 1.0]
        >>> checked_state(["w", "b"], {"w": 0.5, "bias": 1.0}, "Line.load_state_dict")
        Traceback (most recent call last):
        ...
        ValueError: Line.load_state_dict: the state dict is missing 1 key(s): 'b' and has 1 ...
    """
    if not isinstance(state, Mapping):
        raise TypeError(
            f"{where}: state must be a mapping of parameter names to numbers, got "
            f"{type(state).__name__} {_short(state)}"
        )
    exact_keys(state, names, "the state dict", where)
    values = [state[name] for name in names]
    for i, value in enumerate(values):
        # Nearly every value is a finite float (JSON gives floats): those need no more than
        # this test (x - x is nan for nan and ±inf). Anything else gets the full check, which
        # converts an int or names the fault; a third of the load time went to it before.
        if type(value) is not float or value - value != 0.0:
            values[i] = real(value, f"parameter {names[i]!r}", where)
    return values


# -- loading -----------------------------------------------------------------------------------


def load_into(model: M, path: str | os.PathLike[str]) -> M:
    """Set ``model``'s parameters from a file, if the file holds a model of its architecture.

    ``Module.load`` calls this. The file is checked completely first; on any problem the model
    is left exactly as it was.

    Args:
        model: The model to fill; its ``config()`` must equal the file's architecture.
        path: A file written by :func:`save`.

    Returns:
        ``model`` itself.

    Raises:
        CheckpointError: the file is not a valid model of this architecture.
        OSError: the file cannot be opened.

    Example:
        >>> import pathlib, tempfile
        >>> from autograd_core import checkpoint, nn
        >>> path = nn.Neuron(2, seed=1).save(pathlib.Path(tempfile.mkdtemp()) / "n.json")
        >>> checkpoint.load_into(nn.Neuron(2, seed=2), path).state_dict() == (
        ...     nn.Neuron(2, seed=1).state_dict())
        True
    """
    where = os.fspath(path)
    contents = read(path)
    mine = model.config()
    if contents.architecture != mine:
        raise CheckpointError(
            f"{where}: the file holds a {_describe(contents.architecture)}, but this model is a "
            f"{_describe(mine)}; build a matching model or use nn.load_model(path)"
        )
    # A wrong count is reported only when the parameters could fit; otherwise load_state_dict
    # names the missing or unexpected ones, which says more.
    if len(contents.parameters) == len(model.state_dict()):
        _check_count(contents, where)
    _load_parameters(model, contents.parameters, where)
    return model


def load_model(path: str | os.PathLike[str], build: Callable[[Architecture], M]) -> M:
    """Build the model a file describes with ``build``, then load its parameters.

    ``nn.load_model`` calls this with a builder for ``Neuron``, ``Layer`` and ``MLP``.

    Args:
        path: A file written by :func:`save`.
        build: Makes a model of a checked :class:`Architecture`; it may raise ``ValueError``
            for one it does not support (an unknown activation, say).

    Returns:
        The new model, equal parameter for parameter to the one saved.

    Raises:
        CheckpointError: the file is not a valid saved model.
        OSError: the file cannot be opened.

    Example:
        >>> import pathlib, tempfile
        >>> from autograd_core import checkpoint, nn
        >>> path = nn.Layer(2, 3, seed=0).save(pathlib.Path(tempfile.mkdtemp()) / "l.json")
        >>> checkpoint.load_model(path, lambda arch: nn.Layer(arch.nin, arch.widths[0], seed=0))
        Layer(2, 3, activation='relu') with 9 parameters
    """
    where = os.fspath(path)
    contents = read(path)
    architecture = parse_architecture(contents.architecture, where)
    # Compare sizes before building: a file cannot make us allocate a model larger than itself.
    expected = architecture.num_parameters
    if expected != len(contents.parameters):
        raise CheckpointError(
            f"{where}: a {_describe(contents.architecture)} has {expected} parameters, but the "
            f"file holds {len(contents.parameters)}"
        )
    _check_count(contents, where)
    try:
        model = build(architecture)
    except ValueError as exc:
        raise CheckpointError(f"{where}: architecture: {exc}") from None
    _load_parameters(model, contents.parameters, where)
    return model


def _check_count(contents: Checkpoint, where: str) -> None:
    """The file's ``num_parameters``, if it has one, must count its parameters."""
    count = contents.num_parameters
    if count is not None and count != len(contents.parameters):
        raise CheckpointError(
            f'{where}: the "num_parameters" field must be the number of entries of '
            f'"parameters", {len(contents.parameters)}, got int {count}'
        )


def _load_parameters(model: Model, parameters: dict[str, Any], where: str) -> None:
    try:
        model.load_state_dict(parameters)
    except (TypeError, ValueError) as exc:  # the file's values do not fit: its fault
        raise CheckpointError(
            f'{where}: the "parameters" field does not fit the model: {exc}'
        ) from None


def _describe(arch: Any) -> str:
    """A short human description of an architecture; never fails, whatever the field types."""
    if not isinstance(arch, Mapping):
        return f"model of architecture {_short(arch)}"
    kind = arch.get("type")

    def size(n: Any) -> str:
        return str(n) if type(n) is int else _short(n)

    if kind == "MLP":
        nouts = arch.get("nouts")
        widths = nouts if isinstance(nouts, list) else [nouts]
        sizes = " → ".join(size(n) for n in [arch.get("nin"), *widths])
        return (
            f"MLP {sizes} (activation {_short(arch.get('activation'))}, "
            f"output {_short(arch.get('output_activation'))})"
        )
    if kind == "Layer":
        return (
            f"Layer {size(arch.get('nin'))} → {size(arch.get('nout'))} "
            f"({_short(arch.get('activation'))})"
        )
    if kind == "Neuron":
        return f"Neuron of {size(arch.get('nin'))} inputs ({_short(arch.get('activation'))})"
    return f"model of type {_short(kind)}"


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters: a file can hold a megabyte in one field."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
