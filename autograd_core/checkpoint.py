"""Saved models: the JSON file format, how it is written safely and how it is read back.

**The file.** A saved model is one JSON object:

```json
{"format": "autograd-core-model", "version": 1,
 "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 1], ...},
 "num_parameters": 65, "checksum": "sha256:...", "metadata": {...},
 "parameters": {"layers.0.neurons.0.w.0": 0.123, ...}}
```

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

* *Read-only files.* The rename needs only the folder's permission, so it would replace a
  file that ``open(path, "w")`` refuses. A save refuses it too (``PermissionError`` naming
  the path): a file with no ``w`` bit at all (``chmod 444``) for every user, root included,
  and otherwise any file the OS says the user may not write. Every error of a save names
  the user's path, never the temporary file.

**Metadata** follows one convention, JSON's, checked before anything is written
(:func:`check_metadata`): string keys, finite floats, integers of at most 1024 bits, at most
:data:`MAX_METADATA_DEPTH` levels of nesting and :data:`MAX_METADATA_BYTES` of text. A value
outside it is a ``TypeError`` or ``ValueError`` naming its place (``metadata['runs'][2]``).

**Reading.** :func:`read` refuses anything but a regular file before reading a byte: it opens
without blocking (a FIFO with no writer would otherwise hang the open) and looks at the open
file itself (``fstat``), so a device such as ``/dev/zero`` is refused instead of read until
memory runs out. Files larger than :data:`MAX_FILE_BYTES`, a constant, are refused as well,
and no more than that is ever read even if the file grows meanwhile. The memory a file can
cost is proportional to the model: the fields are parsed one at a time, ``metadata`` and
``architecture`` from at most :data:`MAX_METADATA_BYTES` of text, the small fields from 1
KiB, ``parameters`` only as a flat object of numbers; and a file larger than its model can
be (from the model's parameter names for :func:`load_into`, from the architecture at the head
of the file otherwise) is refused before the rest is read. JSON is parsed with ``NaN``,
``Infinity`` and duplicate keys refused; nothing is ever unpickled or evaluated.

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
import numbers
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
    "MAX_METADATA_BYTES",
    "MAX_METADATA_DEPTH",
    "check_metadata",
    "Model",
    "Architecture",
    "Checkpoint",
    "save",
    "write_atomically",
    "check_writable",
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


MAX_METADATA_BYTES = 1 << 20
"""The most text a saved model's ``metadata`` may take in the file, as written: 1 MiB.

The ``architecture`` field has the same limit. A file whose metadata is larger was not
written by :func:`save`, which refuses such metadata, and is refused before it is parsed: a
file of junk metadata could otherwise make the parser build a hundred times its size in
Python objects.
"""

MAX_METADATA_DEPTH = 32
"""How deeply lists and objects may nest inside ``metadata``: 32 levels."""

# The largest integer metadata may hold: as many bits as the largest float's magnitude has,
# far more than a seed or a count needs, and every JSON reader can at least store it.
_MAX_INT_BITS = 1024

# A file for a model of n parameters is at most this long: the metadata and architecture
# limits, a little for the other fields, and per parameter its name and value as save writes
# them (`  "layers.0.neurons.12.w.3": -0.12345678901234567,` is 50 bytes) with room to spare
# for a hand-edited file's spaces. A model's own names give a tighter bound (load_into).
_FIXED_BYTES = 2 * MAX_METADATA_BYTES + 4096
_BYTES_PER_PARAMETER = 256
_SMALL_FIELD_BYTES = 1024  # "format", "version", "num_parameters", "checksum"
_HEAD_BYTES = 1 << 16  # where save puts the architecture: the start of the file


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
        ValueError: a parameter is ``nan`` or infinite, ``path`` is a FIFO or a device, or
            the metadata holds a ``nan``, an integer beyond 1024 bits, nesting deeper than
            :data:`MAX_METADATA_DEPTH` or more than :data:`MAX_METADATA_BYTES` of text
            (nothing is written; the message names the place: ``metadata['runs'][2]``).
        TypeError: ``metadata`` is not a mapping, or holds something JSON cannot (a key that
            is not a string, a set, a numpy scalar), or a parameter holds no number.
        PermissionError: ``path`` is a read-only file (see :func:`write_atomically`).
        OSError: the file cannot be written (``IsADirectoryError`` for a directory); every
            message names ``path``.

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
        if type(value) is not float:
            state[name] = value = _parameter_number(name, value, path)
        if not math.isfinite(value):
            raise ValueError(
                f"save: parameter {name!r} is {value!r}: the model has diverged; "
                f"nothing was written to {str(path)!r}"
            )
    architecture = model.config()
    try:
        if metadata is not None:
            check_metadata(metadata)
        check_metadata(architecture, "the architecture (config())")
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{exc}; nothing was written to {str(path)!r}") from None
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
    for field in ("metadata", "architecture"):
        size = _written_size(document[field])
        if size > MAX_METADATA_BYTES:
            raise ValueError(
                f"save: the {field} would take {size} bytes in the file, more than the "
                f"{MAX_METADATA_BYTES} a saved model may carry "
                f"(autograd_core.checkpoint.MAX_METADATA_BYTES); nothing was written to "
                f"{str(path)!r}"
            )
    write_atomically(path, text)
    return path


def check_metadata(value: Any, what: str = "metadata", where: str = "save") -> None:
    """Check that ``value`` is metadata a saved model can carry, and name the first fault.

    One convention, the JSON one, checked before anything is written (and again when a file
    is read): objects (``dict``) with ``str`` keys, lists (a ``tuple`` is written as one),
    strings, booleans, ``None``, finite floats and integers of at most 1024 bits, nested at
    most :data:`MAX_METADATA_DEPTH` levels deep. Iterative: no depth of nesting can make it
    fail with a ``RecursionError``.

    Args:
        value: The metadata (or an architecture) to check.
        what: Its name in messages.
        where: The operation, the start of every message.

    Raises:
        TypeError: a key that is not a string, or a value of another type (a ``set``, a
            numpy scalar, a ``Value``), naming its place (``metadata['runs'][2]``).
        ValueError: a ``nan`` or infinite float, an integer beyond 1024 bits, or nesting
            deeper than the limit, naming its place.

    Example:
        >>> from autograd_core.checkpoint import check_metadata
        >>> check_metadata({"epochs": 3, "losses": [0.5, 0.25], "note": None})
        >>> check_metadata({"runs": [{"loss": float("nan")}]})
        Traceback (most recent call last):
        ...
        ValueError: save: metadata['runs'][0]['loss'] is nan; metadata holds finite numbers only
    """
    stack: list[tuple[Any, str, int]] = [(value, what, 0)]
    while stack:
        item, place, depth = stack.pop()
        if isinstance(item, (dict, list, tuple)):
            if depth >= MAX_METADATA_DEPTH:
                raise ValueError(
                    f"{where}: {place} is nested more than {MAX_METADATA_DEPTH} levels deep "
                    "(autograd_core.checkpoint.MAX_METADATA_DEPTH)"
                )
            stack.extend(_children(item, place, depth + 1, where))
        else:
            _check_leaf(item, place, where)


def _children(item: Any, place: str, depth: int, where: str) -> list[tuple[Any, str, int]]:
    if not isinstance(item, dict):
        return [(x, f"{place}[{i}]", depth) for i, x in enumerate(item)]
    for key in item:
        if not isinstance(key, str):
            raise TypeError(
                f"{where}: {place} has the key {_short(key)} of type {type(key).__name__}; "
                "metadata keys must be strings (JSON turns any other key into one)"
            )
    return [(x, f"{place}[{key!r}]", depth) for key, x in item.items()]


def _check_leaf(item: Any, place: str, where: str) -> None:
    if item is None or isinstance(item, (str, bool)):
        return
    if isinstance(item, int):
        if item.bit_length() > _MAX_INT_BITS:
            raise ValueError(
                f"{where}: {place} is an integer of {item.bit_length()} bits; metadata holds "
                f"integers of at most {_MAX_INT_BITS} bits"
            )
        return
    if isinstance(item, float):
        if not math.isfinite(item):
            raise ValueError(f"{where}: {place} is {item!r}; metadata holds finite numbers only")
        return
    raise TypeError(
        f"{where}: {place} is {type(item).__name__} {_short(item)}, which JSON cannot hold; "
        "metadata holds dicts with str keys, lists, str, int, float, bool and None"
    )


def _written_size(value: Any) -> int:
    """How many bytes ``value`` takes as a top-level field of the file save writes (indent 1,
    one more space on every line after the first, ASCII)."""
    text = json.dumps(value, indent=1, allow_nan=False)
    return len(text) + text.count("\n")


def _parameter_number(name: str, value: Any, path: Path) -> float:
    """A parameter value that is not a float: an int or numpy number as a float; anything
    else (a ``Value`` left in ``data`` by an update made with a gradient graph) refused."""
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except OverflowError:
            return math.inf
    raise TypeError(
        f"save: parameter {name!r} holds {type(value).__name__} {_short(value)}, not a number "
        "(was it updated with a gradient of backward(create_graph=True)? use its number, "
        f"p.data = p.data.data); nothing was written to {str(path)!r}"
    )


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
        PermissionError: ``path`` is a read-only file (one that ``open(path, "w")`` would
            refuse; a file with no write bit is refused even for root), or its folder is not
            writable. Every error names ``path``, never the temporary file.
        OSError: the directory is missing, the disk is full, ... (the target is then
            unchanged and the temporary file removed).

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
    if info is not None:
        _refuse_read_only(path, target, info)
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
    except BaseException as exc:
        if created:  # never remove a file of the same name that we did not create
            with contextlib.suppress(OSError):
                tmp.unlink()
        if isinstance(exc, OSError):  # say so of the user's path, not of our temporary file
            raise _write_error(exc, path, target, created) from None
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


def check_writable(path: str | os.PathLike[str]) -> None:
    """Refuse now what :func:`write_atomically` would refuse at ``path``: a read-only file.

    ``fit(checkpoint=...)`` calls it before the first epoch, so that a read-only checkpoint
    file is reported before any training time is spent, not at the first save.

    Args:
        path: A file that may exist (a symlink is followed, as a save follows it).

    Raises:
        PermissionError: the file exists and is read-only (see :func:`write_atomically`).

    Example:
        >>> import os, pathlib, tempfile
        >>> from autograd_core.checkpoint import check_writable
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.json"
        >>> check_writable(path)  # no file yet: fine
        >>> _ = path.write_text("{}")
        >>> path.chmod(0o444)
        >>> check_writable(path)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        PermissionError: [Errno 13] Permission denied: the file is read-only (mode 0o444), ...
    """
    path = Path(path)
    target = _real_target(path)
    try:
        info = os.stat(target)
    except OSError:
        return  # nothing there yet (or nothing a stat can see): the save will tell
    if stat.S_ISREG(info.st_mode):
        _refuse_read_only(path, target, info)


def _refuse_read_only(path: Path, target: Path, info: os.stat_result) -> None:
    """Refuse to replace a file that ``open(path, "w")`` would refuse to write.

    A save replaces the file by a rename, which needs only the folder's permission: without
    this check it would silently replace a file made read-only on purpose (``chmod 444``). A
    file no one may write (no ``w`` bit at all) is refused for every user, root included, as
    an unprivileged user's ``open`` would refuse it; otherwise the OS decides (``os.access``).
    """
    if info.st_mode & 0o222 and os.access(target, os.W_OK):
        return
    mode = stat.S_IMODE(info.st_mode)
    shown = "" if target == path else f" (-> {str(target)!r})"
    raise PermissionError(
        errno.EACCES,
        f"Permission denied: the file{shown} is read-only (mode {mode:#o}), so it is not "
        "replaced; make it writable first (chmod u+w) or save elsewhere. Nothing was written",
        str(path),
    )


def _write_error(exc: OSError, path: Path, target: Path, created: bool) -> OSError:
    """``exc`` (about the temporary file, or the rename) told of ``path``, the user's file."""
    reason = exc.strerror or str(exc)
    folder = str(target.parent)
    if not created:
        reason += f" (a save writes a new file in the folder {folder!r}, then renames it)"
    error = OSError(exc.errno, f"{reason}; the file was not written", str(path))
    return error  # OSError(errno, ...) is the matching subclass: PermissionError, ...


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
    :func:`load_model` check them against a model. The metadata is checked as
    :func:`check_metadata` says.

    Memory stays proportional to the model: every field but ``parameters`` is refused unread
    beyond its limit (:data:`MAX_METADATA_BYTES` for ``metadata`` and ``architecture``), and
    when the architecture at the head of the file is one of ``nn``'s, a file larger than such
    a model can be is refused before the rest of it is read.

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
    return _read(os.fspath(path), None)


def _read(where: str, names: Sequence[str] | None) -> Checkpoint:
    """:func:`read`, for a model whose parameter ``names`` are known (or ``None``)."""
    text = _decoded(where, _read_bytes(where, names))
    document = _checked_envelope(where, _document(where, text))
    architecture = document.get("architecture")
    if not isinstance(architecture, dict):
        raise CheckpointError(f'{where}: the "architecture" field is missing or not an object')
    parameters = document.get("parameters")
    if not isinstance(parameters, dict):
        raise CheckpointError(f'{where}: the "parameters" field is missing or not an object')
    metadata = document.get("metadata", {})
    if not isinstance(metadata, dict):
        raise CheckpointError(f'{where}: the "metadata" field is not an object')
    try:
        check_metadata(metadata, "metadata", where)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(str(exc)) from None
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


def _decoded(where: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError(f"{where}: not a saved model (the file is not UTF-8 text)") from None


# JSON with NaN, Infinity and duplicate keys refused (the hooks raise ValueError).
_DECODER = json.JSONDecoder(
    parse_constant=lambda name: _reject_constant(name),
    object_pairs_hook=lambda pairs: _no_dupes(pairs),
)
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_FIELD_NAME = re.compile(r'"([a-z_]{1,32})"')
_ANY_NAME = re.compile(r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4}){0,200}"')


def _skip(text: str, i: int) -> int:
    """The index of the first character at or after ``i`` that is not JSON whitespace."""
    return _WHITESPACE.match(text, i).end()  # type: ignore[union-attr]


def _document(where: str, text: str, *, until: str | None = None) -> Any:
    """The top-level JSON value of ``text``, read one field at a time, each within its limit.

    A saved model is one object. Each of its fields is parsed from a slice no longer than the
    field may be (``parameters`` excepted: a flat object of numbers, parsed whole), so no
    field can make the parser build more than its limit's worth of objects. The value of a
    text that is no object is parsed within a small limit too (the checks then say what it
    is). ``until``: return the fields read so far once that one is read, or when
    ``parameters`` comes first (for the head of a file).
    """
    i = _skip(text, 0)
    if not text.startswith("{", i):
        value, _ = _bounded(where, text, i, MAX_METADATA_BYTES, None)
        return value
    fields: dict[str, Any] = {}
    i = _skip(text, i + 1)
    closed = text.startswith("}", i)
    while not closed:
        name = _FIELD_NAME.match(text, i)
        if name is None:  # not one of ours (too long, escaped, not a string, cut short)
            raise _not_a_model(where, text, i, fields)
        key = name.group(1)
        if key in fields:
            raise CheckpointError(f"{where}: the key {key!r} appears twice")
        i = _skip(text, name.end())
        if not text.startswith(":", i):
            raise _invalid_json(where, text, i, "Expecting ':' delimiter")
        i = _skip(text, i + 1)
        if key == "parameters":
            if until is not None:
                return fields
            fields[key], i = _flat_object(where, text, i)
        else:
            fields[key], i = _bounded(where, text, i, _limit_of(key), key)
            if key == until:
                return fields
        i = _skip(text, i)
        if text.startswith(",", i):
            i = _skip(text, i + 1)
        elif text.startswith("}", i):
            closed = True
        else:
            raise _invalid_json(where, text, i, "Expecting ',' delimiter")
    end = _skip(text, i + 1)
    if end != len(text):
        raise _invalid_json(where, text, end, "Extra data")
    return fields


def _limit_of(key: str) -> int:
    return MAX_METADATA_BYTES if key in ("metadata", "architecture") else _SMALL_FIELD_BYTES


def _bounded(where: str, text: str, i: int, limit: int, key: str | None) -> tuple[Any, int]:
    """The JSON value at ``text[i]`` and the index after it, if it takes at most ``limit``."""
    piece = text[i : i + limit + 1]  # one character more than allowed tells a longer value
    try:
        value, end = _DECODER.raw_decode(piece)
    except json.JSONDecodeError as exc:
        if len(piece) <= limit:  # the whole rest of the file: it is cut short or broken
            raise _invalid_json(where, text, i + exc.pos, exc.msg) from None
        value, end = None, len(piece)
    except RecursionError:
        raise CheckpointError(f"{where}: not a saved model (JSON nested too deeply)") from None
    except ValueError as exc:  # from the hooks, or an integer of too many digits
        raise CheckpointError(f"{where}: {exc}") from None
    if end > limit:
        if key is None or key not in _ENVELOPE:
            raise CheckpointError(
                f'{where}: not a saved autograd-core model (no "format": "{FORMAT}" field)'
            )
        raise CheckpointError(
            f'{where}: the "{key}" field is longer than the {limit} bytes it may take in a '
            "saved model"
            + (" (autograd_core.checkpoint.MAX_METADATA_BYTES)" if limit > 4096 else "")
        )
    return value, i + end


def _flat_object(where: str, text: str, i: int) -> tuple[Any, int]:
    """The ``parameters`` object at ``text[i]``: names to numbers, no nested list or object
    (so the parser builds no more than a few objects per entry), and the index after it."""
    if not text.startswith("{", i):
        raise CheckpointError(f'{where}: the "parameters" field is missing or not an object')
    end = text.find("}", i)
    if end < 0:
        raise _invalid_json(where, text, len(text), "Expecting '}'")
    piece = text[i : end + 1]
    if piece.find("{", 1) >= 0 or piece.find("[") >= 0:
        raise CheckpointError(
            f'{where}: the "parameters" field must map names to numbers, with no list or '
            "object inside"
        )
    try:
        value = _DECODER.decode(piece)
    except json.JSONDecodeError as exc:
        raise _invalid_json(where, text, i + exc.pos, exc.msg) from None
    except ValueError as exc:
        raise CheckpointError(f"{where}: {exc}") from None
    return value, end + 1


def _invalid_json(where: str, text: str, pos: int, message: str) -> CheckpointError:
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)
    return CheckpointError(
        f"{where}: not valid JSON ({message} at line {line}, column {column}); "
        "the file is truncated or corrupted"
    )


def _not_a_model(where: str, text: str, i: int, fields: dict[str, Any]) -> CheckpointError:
    """The error for a field name that no saved model has, or for no field name at all."""
    name = _ANY_NAME.match(text, i)
    if name is None:  # not a string, or one cut short
        expected = "Expecting property name enclosed in double quotes"
        return _invalid_json(where, text, i, expected)
    if fields.get("format") != FORMAT:
        return CheckpointError(
            f'{where}: not a saved autograd-core model (no "format": "{FORMAT}" field)'
        )
    return CheckpointError(
        f"{where}: unknown top-level field(s) {_short(json.loads(name.group()))}; "
        f"a saved model has only {', '.join(sorted(_ENVELOPE))}"
    )


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


def _read_bytes(where: str, names: Sequence[str] | None) -> bytes:
    """The bytes of a regular file no larger than a saved model can be, or a clear refusal.

    The limit is :data:`MAX_FILE_BYTES`, or less when the model is known: from its parameter
    ``names`` (:func:`load_into`), or from the architecture at the head of the file (where
    :func:`save` writes it), read before the rest.
    """
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
        head = b"" if names is not None else _read_up_to(fd, min(_HEAD_BYTES, limit + 1))
        bound = _model_bound(where, names, head)
        if bound is not None and max(info.st_size, len(head)) > bound[0]:
            size = max(info.st_size, len(head))
            raise CheckpointError(_larger_than_the_model(where, size, *bound))
        if bound is not None and bound[0] < limit:
            limit = bound[0]
        # one byte more than allowed tells a file that grew meanwhile (or a procfs file, whose
        # size says 0)
        rest = _read_up_to(fd, limit + 1 - len(head), hint=info.st_size + 1)
        if len(head) + len(rest) > limit:
            if bound is not None and limit == bound[0]:
                raise CheckpointError(_larger_than_the_model(where, limit + 1, *bound))
            raise CheckpointError(_too_large(where, f"more than {limit} bytes", limit))
        return head + rest
    finally:
        os.close(fd)


def _read_up_to(fd: int, count: int, hint: int = 1 << 16) -> bytes:
    """At most ``count`` bytes from ``fd``, fewer at the end of the file."""
    chunks = []
    remaining = count
    while remaining > 0:
        chunk = os.read(fd, min(remaining, max(hint, 1 << 16)))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _model_bound(where: str, names: Sequence[str] | None, head: bytes) -> tuple[int, str] | None:
    """The most bytes a saved model of these parameter names, or of the architecture at the
    head of the file, can take, and that model in words; ``None`` when neither is known."""
    if names is not None:
        # a name may take six bytes a character (\uXXXX) and its value and spaces 64 more
        size = _FIXED_BYTES + sum(6 * len(name) + 66 for name in names)
        return size, f"model of {len(names)} parameters"
    try:
        fields = _document(where, head.decode("utf-8", "replace"), until="architecture")
        architecture = parse_architecture(fields["architecture"], where)
    except (CheckpointError, KeyError, TypeError):  # not there, or not one of nn's: no bound
        return None
    n = architecture.num_parameters
    return _FIXED_BYTES + _BYTES_PER_PARAMETER * n, f"{architecture.kind} of {n} parameters"


def _larger_than_the_model(where: str, size: int, limit: int, model: str) -> str:
    return (
        f"{where}: the file is {size} bytes, more than a saved {model} can take ({limit} "
        f"bytes: {MAX_METADATA_BYTES} each for metadata and architecture, the rest for its "
        "parameters); it holds something else, such as junk metadata"
    )


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
    contents = _read(where, list(model.state_dict()))
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
    contents = _read(where, None)
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
