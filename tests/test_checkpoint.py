"""autograd_core.checkpoint: odd field types, files that are not files, stale temporary files,
permissions and symlinks. The round trip and the corruption tests live in test_nn.py."""

from __future__ import annotations

import ast
import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from autograd_core import checkpoint, nn
from autograd_core.nn import MLP, CheckpointError

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX files, modes and processes")


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def write_model_file(path: Path, architecture: Any, parameters: Any = None) -> Path:
    document = {
        "format": checkpoint.FORMAT,
        "version": checkpoint.FORMAT_VERSION,
        "architecture": architecture,
        "parameters": {"w.0": 0.0, "b": 0.0} if parameters is None else parameters,
    }
    path.write_text(json.dumps(document))
    return path


# -- layering ----------------------------------------------------------------------------------


def test_nn_re_exports_the_checkpoint_names() -> None:
    assert nn.CheckpointError is checkpoint.CheckpointError
    assert issubclass(CheckpointError, ValueError)
    assert (nn.FORMAT, nn.FORMAT_VERSION) == (checkpoint.FORMAT, checkpoint.FORMAT_VERSION)
    assert {"CheckpointError", "FORMAT", "FORMAT_VERSION", "load_model"} <= set(nn.__all__)


def test_checkpoint_does_not_import_nn() -> None:
    # nn imports checkpoint; the other direction would be a cycle.
    tree = ast.parse(Path(checkpoint.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    imported |= {
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert not any(name and name.startswith("autograd_core.nn") for name in imported), imported


# -- fields of the wrong JSON type -------------------------------------------------------------

MLP_FIELDS = {
    "type": "MLP",
    "nin": 1,
    "nouts": [1],
    "activation": "relu",
    "output_activation": "linear",
}


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"type": ["MLP"]}, r"architecture\.type must be one of .*, got list \['MLP'\]"),
        ({"type": {"MLP": 1}}, r"architecture\.type must be one of .*, got dict \{'MLP': 1\}"),
        ({"type": 3}, r"architecture\.type must be one of .*, got int 3"),
        ({"type": None}, r"architecture\.type must be one of .*, got NoneType None"),
        ({"nin": [1]}, r"architecture\.nin must be an integer, got list \[1\]"),
        ({"nin": 1.0}, r"architecture\.nin must be an integer, got float 1\.0"),
        ({"nin": 0}, r"architecture\.nin must be an integer >= 1, got 0"),
        ({"nouts": {"0": 1}}, r"architecture\.nouts must be a non-empty list .*, got dict"),
        ({"nouts": 1}, r"architecture\.nouts must be a non-empty list .*, got int 1"),
        ({"nouts": [[1]]}, r"architecture\.nouts\[0\] must be an integer, got list \[1\]"),
        ({"activation": ["relu"]}, r"architecture\.activation must be a string, got list"),
        ({"output_activation": {}}, r"architecture\.output_activation must be a string, got dict"),
    ],
)
def test_fields_of_the_wrong_type_are_checkpoint_errors_naming_field_and_value(
    tmp_path: Path, change: dict[str, Any], match: str
) -> None:
    path = write_model_file(tmp_path / "m.json", {**MLP_FIELDS, **change})
    with pytest.raises(CheckpointError, match=f"^{path}: {match}"):
        nn.load_model(path)
    # Module.load compares the architecture with its own and describes both: no TypeError either
    # (a "nin" of 1.0 equals 1, so that file describes this very model).
    if {**MLP_FIELDS, **change} != MLP_FIELDS:
        with pytest.raises(CheckpointError, match=r"holds a .* but this model is a MLP 1 → 1"):
            MLP(1, [1], seed=0).load(path)


def test_a_missing_type_and_a_non_object_architecture(tmp_path: Path) -> None:
    path = write_model_file(tmp_path / "m.json", {"nin": 1})
    with pytest.raises(CheckpointError, match='the architecture has no "type" field'):
        nn.load_model(path)
    path = write_model_file(tmp_path / "m.json", ["MLP"])
    with pytest.raises(CheckpointError, match='"architecture" field is missing or not an object'):
        nn.load_model(path)


def test_odd_versions_and_checksums_are_checkpoint_errors(tmp_path: Path) -> None:
    path = MLP(1, [1], seed=0).save(tmp_path / "m.json")
    document = json.loads(path.read_text())
    for version in (["1"], {"v": 1}, 1.0, "1"):
        path.write_text(json.dumps({**document, "version": version}))
        with pytest.raises(CheckpointError, match="unsupported format version"):
            nn.load_model(path)
    path.write_text(json.dumps({**document, "checksum": ["sha256:..."]}))
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        nn.load_model(path)


# -- files that are not regular files ----------------------------------------------------------


@posix_only
def test_a_symlink_to_a_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    # One test, /dev/null first: read as a file it gives "not valid JSON" and fails the match,
    # so a loader that reads devices stops here before it could read /dev/zero, which never
    # ends, until memory runs out.
    for device in ("/dev/null", "/dev/zero"):
        if not os.path.exists(device):
            pytest.skip(f"no {device}")
        link = tmp_path / f"model-{Path(device).name}.json"
        link.symlink_to(device)
        with pytest.raises(CheckpointError, match="it is a character device, not a regular file"):
            MLP(2, [1], seed=0).load(link)
        with pytest.raises(CheckpointError, match="it is a character device, not a regular file"):
            nn.load_model(link)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    done = threading.Event()

    def release_a_blocked_reader() -> None:
        # A loader that opens the FIFO blocking would wait for a writer forever. This thread
        # plays the writer (open, then close at once), so such a loader reads end-of-file and
        # the test fails on its message instead of hanging. A correct loader never blocks.
        while not done.is_set():
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: nobody has it open for reading
                done.wait(0.01)
            else:
                os.close(fd)

    thread = threading.Thread(target=release_a_blocked_reader, daemon=True)
    thread.start()
    try:
        with pytest.raises(CheckpointError, match=r"it is a FIFO \(named pipe\), not a regular"):
            MLP(2, [1], seed=0).load(fifo)
        with pytest.raises(CheckpointError, match=r"it is a FIFO \(named pipe\), not a regular"):
            nn.load_model(fifo)
    finally:
        done.set()
        thread.join()


def test_a_directory_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises((IsADirectoryError, PermissionError)):
        nn.load_model(tmp_path)


def test_files_larger_than_the_limit_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = MLP(2, [3, 1], seed=0).save(tmp_path / "model.json")
    size = path.stat().st_size
    monkeypatch.setattr(checkpoint, "MAX_FILE_BYTES", size - 1)
    message = f"the file is {size} bytes, larger than the {size - 1} bytes a saved model may have"
    with pytest.raises(CheckpointError, match=message):
        MLP(2, [3, 1], seed=1).load(path)
    with pytest.raises(CheckpointError, match=message):
        nn.load_model(path)
    monkeypatch.setattr(checkpoint, "MAX_FILE_BYTES", size)  # exactly at the limit: fine
    assert nn.load_model(path).state_dict() == MLP(2, [3, 1], seed=0).state_dict()


@pytest.mark.skipif(not os.path.isfile("/proc/self/status"), reason="no procfs")
def test_no_more_than_the_limit_is_read_even_when_the_size_says_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # procfs files are regular files whose stat size is 0 whatever they hold: only the cap on
    # the bytes actually read stops them.
    link = tmp_path / "model.json"
    link.symlink_to("/proc/self/status")
    monkeypatch.setattr(checkpoint, "MAX_FILE_BYTES", 10)
    with pytest.raises(CheckpointError, match="the file is more than 10 bytes, larger than"):
        nn.load_model(link)


def test_the_size_limit_is_a_generous_constant() -> None:
    assert checkpoint.MAX_FILE_BYTES == 1 << 30


# -- temporary files left by a crashed save ----------------------------------------------------


def dead_pid() -> int:
    """The id of a process that has exited (and been waited for)."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


@posix_only
def test_a_later_save_removes_the_temporary_file_of_a_killed_save(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import os, sys
        from autograd_core import nn
        path = sys.argv[1]
        nn.MLP(2, [4, 1], seed=1).save(path)
        os.replace = lambda *args: os._exit(17)  # killed after writing, before the rename
        nn.MLP(2, [4, 1], seed=2).save(path)
        """
    )
    path = tmp_path / "model.json"
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, timeout=120
    )
    assert result.returncode == 17, result.stderr
    [stale] = leftovers(tmp_path)
    assert stale.startswith(".model.json.") and stale.endswith(".tmp")
    MLP(2, [4, 1], seed=3).save(path)
    assert leftovers(tmp_path) == []
    assert nn.load_model(path).state_dict() == MLP(2, [4, 1], seed=3).state_dict()


@posix_only
def test_only_stale_temporary_files_of_the_same_target_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead, alive = dead_pid(), os.getppid()
    names = {
        "dead": f".model.json.{dead}.0123abcd.tmp",
        "earlier process with our id": f".model.json.{os.getpid()}.89abcdef.tmp",
        "alive": f".model.json.{alive}.0123abcd.tmp",
        "ours, in progress": f".model.json.{os.getpid()}.00000000.tmp",
        "other target": f".other.json.{dead}.0123abcd.tmp",
        "longer name": f".model.json.1.json.{dead}.0123abcd.tmp",
        "not a pid": ".model.json.12x.0123abcd.tmp",
        "not a token": f".model.json.{dead}.0123ABCD.tmp",
        "short token": f".model.json.{dead}.0123abc.tmp",
        "no dot": f"model.json.{dead}.0123abcd.tmp",
    }
    for name in names.values():
        (tmp_path / name).write_text("partial")
    in_progress = {os.path.abspath(tmp_path / names["ours, in progress"])}
    monkeypatch.setattr(checkpoint, "_IN_PROGRESS", in_progress)
    MLP(2, [1], seed=0).save(tmp_path / "model.json")
    removed = {"dead", "earlier process with our id"}
    assert leftovers(tmp_path) == sorted(v for k, v in names.items() if k not in removed)
    assert in_progress == {os.path.abspath(tmp_path / names["ours, in progress"])}


@posix_only
def test_stale_temporary_files_are_removed_next_to_the_real_target_of_a_symlink(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / f".real.json.{dead_pid()}.0123abcd.tmp").write_text("partial")
    (tmp_path / "link.json").symlink_to(store / "real.json")
    MLP(2, [1], seed=0).save(tmp_path / "link.json")
    assert leftovers(store) == [] and leftovers(tmp_path) == []


# -- permissions and symlinks ------------------------------------------------------------------


@posix_only
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444, 0o664])
def test_saving_over_a_file_keeps_its_permission_bits(tmp_path: Path, mode: int) -> None:
    path = MLP(2, [1], seed=0).save(tmp_path / "model.json")
    path.chmod(mode)
    umask = os.umask(0o022)  # would turn a new file into 0o644
    try:
        MLP(2, [1], seed=1).save(path)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert nn.load_model(path).state_dict() == MLP(2, [1], seed=1).state_dict()


@posix_only
def test_the_new_contents_are_never_more_readable_than_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = MLP(2, [1], seed=0).save(tmp_path / "model.json")
    path.chmod(0o600)
    modes = []
    real_replace = os.replace

    def spying_replace(src: Any, dst: Any) -> None:
        modes.append(stat.S_IMODE(os.stat(src).st_mode))  # the temporary file, full
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spying_replace)
    MLP(2, [1], seed=1).save(path)
    assert modes == [0o600]


@posix_only
def test_saving_to_a_symlink_writes_through_to_its_target(tmp_path: Path) -> None:
    store = tmp_path / "runs" / "7"
    store.mkdir(parents=True)
    real = MLP(2, [1], seed=0).save(store / "model.json")
    real.chmod(0o600)
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    assert MLP(2, [1], seed=1).save(link) == link
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert nn.load_model(real).state_dict() == MLP(2, [1], seed=1).state_dict()
    assert leftovers(store) == [] and leftovers(tmp_path) == []


@posix_only
def test_saving_to_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "latest.json"
    link.symlink_to(tmp_path / "new.json")
    MLP(2, [1], seed=0).save(link)
    assert link.is_symlink() and (tmp_path / "new.json").is_file()


@posix_only
def test_a_chain_of_symlinks_is_followed_to_the_end(tmp_path: Path) -> None:
    real = MLP(2, [1], seed=0).save(tmp_path / "real.json")
    (tmp_path / "a.json").symlink_to("b.json")  # relative links, as people make them
    (tmp_path / "b.json").symlink_to("real.json")
    MLP(2, [1], seed=1).save(tmp_path / "a.json")
    assert (tmp_path / "a.json").is_symlink() and (tmp_path / "b.json").is_symlink()
    assert nn.load_model(real).state_dict() == MLP(2, [1], seed=1).state_dict()


def test_metadata_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"^save: metadata must be a mapping or None, got list"):
        MLP(2, [1], seed=0).save(tmp_path / "m.json", metadata=[("a", 1)])  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_read_returns_architecture_parameters_and_metadata(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], seed=0)
    contents = checkpoint.read(model.save(tmp_path / "m.json", metadata={"epochs": 3}))
    assert contents.architecture == model.config()
    assert contents.parameters == model.state_dict()
    assert contents.metadata == {"epochs": 3}


def test_a_damaged_checksum_key_is_not_taken_for_a_file_without_one(tmp_path: Path) -> None:
    """Found by hypothesis: a flipped byte in the key "checksum" plus a changed digit loaded."""
    path = MLP(2, [3, 1], seed=1).save(tmp_path / "model.json")
    text = path.read_text(encoding="utf-8")
    text = text.replace('"checksum"', '"check um"').replace(
        '"layers.0.neurons.1.b": 0.0', '"layers.0.neurons.1.b": 10.0'
    )
    path.write_text(text, encoding="utf-8")
    target = MLP(2, [3, 1], seed=2)
    before = target.state_dict()
    with pytest.raises(CheckpointError, match=r"unknown top-level field\(s\) 'check um'"):
        target.load(path)
    assert target.state_dict() == before
