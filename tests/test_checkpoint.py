"""autograd_core.checkpoint: odd field types, files that are not files, stale temporary files,
permissions and symlinks. The round trip and the corruption tests live in test_nn.py."""

from __future__ import annotations

import ast
import contextlib
import hashlib
import inspect
import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def sha256_of(architecture: Any, parameters: Any) -> str:
    """The checksum as the module docstring defines it, computed here independently."""
    canonical = json.dumps(
        {"architecture": architecture, "parameters": parameters},
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_the_checksum_is_the_documented_sha256(tmp_path: Path) -> None:
    document = json.loads(MLP(2, [3, 1], seed=0).save(tmp_path / "m.json").read_text())
    assert document["checksum"] == sha256_of(document["architecture"], document["parameters"])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"type": ["MLP"]}, r"architecture\.type must be one of .*, got list \['MLP'\]"),
        ({"type": {"MLP": 1}}, r"architecture\.type must be one of .*, got dict \{'MLP': 1\}"),
        ({"nin": [2]}, r"architecture\.nin must be an integer, got list \[2\]"),
        ({"nouts": {"0": 3}}, r"architecture\.nouts must be a non-empty list .*, got dict"),
        ({"nouts": [[3], 1]}, r"architecture\.nouts\[0\] must be an integer, got list \[3\]"),
        ({"activation": {"relu": 1}}, r"architecture\.activation must be a string, got dict"),
        ({"output_activation": ["x"]}, r"architecture\.output_activation must be a string"),
    ],
)
def test_fields_of_the_wrong_type_with_the_checksum_recomputed(
    tmp_path: Path, change: dict[str, Any], match: str
) -> None:
    # The checksum is an integrity check, not a signature: whoever edits a file can recompute
    # it. The field checks must still catch every odd type.
    path = MLP(2, [3, 1], seed=0).save(tmp_path / "m.json")
    document = json.loads(path.read_text())
    document["architecture"].update(change)
    document["checksum"] = sha256_of(document["architecture"], document["parameters"])
    path.write_text(json.dumps(document))
    with pytest.raises(CheckpointError, match=f"^{path}: {match}"):
        nn.load_model(path)
    with pytest.raises(CheckpointError, match=f"^{path}: the file holds a .* but this model is"):
        MLP(2, [3, 1], seed=0).load(path)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)

# What a message must mention when the given part of the file is at fault.
NAMED = {
    "format": "format",
    "version": "version",
    "architecture": "architecture|holds a|has \\d+ parameters",
    "num_parameters": '"num_parameters"',
    "checksum": "checksum",
    "metadata": '"metadata"',
    "parameters": "parameter",
}


@settings(max_examples=300)
@given(
    where=st.sampled_from(["top", "architecture", "parameter"]),
    key_index=st.integers(0, 100),
    value=JSON,
    recompute=st.booleans(),
)
def test_every_malformed_file_is_a_checkpoint_error_naming_the_field(
    where: str, key_index: int, value: Any, recompute: bool
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = MLP(2, [3, 1], seed=0).save(Path(directory) / "m.json")
        document = json.loads(path.read_text())
        original = json.loads(path.read_text())
        if where == "top":
            keys = sorted(document)
            field = keys[key_index % len(keys)]
            document[field] = value
        elif where == "architecture":
            keys = sorted(document["architecture"])
            document["architecture"][keys[key_index % len(keys)]] = value
            field = "architecture"
        else:
            keys = sorted(document["parameters"])
            document["parameters"][keys[key_index % len(keys)]] = value
            field = "parameters"
        if recompute and field != "checksum":
            # (not objects any more: then the type checks refuse the file first)
            with contextlib.suppress(TypeError, ValueError):
                document["checksum"] = sha256_of(document["architecture"], document["parameters"])
        path.write_text(json.dumps(document))
        for load in (nn.load_model, MLP(2, [3, 1], seed=1).load):
            try:
                loaded = load(path)
            except CheckpointError as exc:
                message = str(exc)
                assert message.startswith(f"{path}: ")
                assert re.search(NAMED[field], message), (field, message)
            else:  # a change that leaves a valid model: it must be the file's model
                if field not in ("architecture", "parameters"):
                    assert value == original[field] or (field == "metadata" and type(value) is dict)
                assert loaded.state_dict() == {
                    k: float(v) for k, v in document["parameters"].items()
                }


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
    for checksum in (["sha256:..."], "sha256:abc", "SHA256:" + "0" * 64, None, 7):
        path.write_text(json.dumps({**document, "checksum": checksum}))
        with pytest.raises(
            CheckpointError, match=r'the "checksum" field must be "sha256:" and 64 hexadecimal'
        ):
            nn.load_model(path)
    path.write_text(json.dumps({**document, "checksum": "sha256:" + "0" * 64}))
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        nn.load_model(path)


@pytest.mark.parametrize("count", [12, 14, -1, "13", 13.0, True, None, [13], {"n": 13}])
def test_a_wrong_num_parameters_is_a_checkpoint_error_naming_it(tmp_path: Path, count: Any) -> None:
    path = MLP(2, [3, 1], seed=0).save(tmp_path / "m.json")
    document = json.loads(path.read_text())
    assert document["num_parameters"] == 13
    path.write_text(json.dumps({**document, "num_parameters": count}))
    match = rf'^{path}: the "num_parameters" field must be the number of entries of "parameters", 13, got {type(count).__name__} '
    with pytest.raises(CheckpointError, match=match):
        nn.load_model(path)
    with pytest.raises(CheckpointError, match=match):
        MLP(2, [3, 1], seed=0).load(path)
    del document["num_parameters"]  # optional, as for files written by hand
    path.write_text(json.dumps(document))
    assert nn.load_model(path).state_dict() == MLP(2, [3, 1], seed=0).state_dict()


# -- files that are not regular files ----------------------------------------------------------


# A loader that reads /dev/zero runs until memory is gone, and one that opens a FIFO blocking
# waits forever: such loads run in a child process with a time limit and a memory cap, so a
# regression fails the test instead of hanging it or exhausting the machine.
LOAD_IN_A_BOX = textwrap.dedent(
    """
    import resource, sys
    cap = 2 << 30  # 2 GiB of address space: /dev/zero read to the end would need more
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    from autograd_core import nn
    for load in (nn.load_model, nn.MLP(2, [1], seed=0).load):
        try:
            load(sys.argv[1])
        except BaseException as exc:
            print(type(exc).__name__, exc, flush=True)
        else:
            print("loaded", flush=True)
    """
)


def load_in_a_box(path: Path, timeout: float = 60.0) -> list[str]:
    """What loading ``path`` printed in a child process, one line per loader; a child still
    busy after ``timeout`` seconds is killed and the test fails."""
    try:
        result = subprocess.run(
            [sys.executable, "-c", LOAD_IN_A_BOX, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"loading {path} did not finish within {timeout} s")
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@posix_only
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_a_device_is_refused_without_reading_it(tmp_path: Path, device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    link = tmp_path / "model.json"
    link.symlink_to(device)
    for target in (link, Path(device)):
        start = time.monotonic()
        lines = load_in_a_box(target)
        assert (
            lines
            == [
                f"CheckpointError {target}: not a saved model: it is a character device, not a "
                "regular file"
            ]
            * 2
        )
        assert time.monotonic() - start < 60


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_fifo_without_a_writer_is_refused_within_a_time_limit(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "model.json"
    link.symlink_to(fifo)
    for target in (fifo, link):
        assert (
            load_in_a_box(target)
            == [
                f"CheckpointError {target}: not a saved model: it is a FIFO (named pipe), not a "
                "regular file"
            ]
            * 2
        )


@posix_only
def test_loading_through_a_symlink_reads_the_file_it_points_to(tmp_path: Path) -> None:
    real = MLP(2, [3, 1], seed=4).save(tmp_path / "real.json")
    (tmp_path / "latest.json").symlink_to("real.json")
    assert nn.load_model(tmp_path / "latest.json").state_dict() == nn.load_model(real).state_dict()
    (tmp_path / "loop.json").symlink_to("loop.json")
    with pytest.raises(OSError):
        nn.load_model(tmp_path / "loop.json")
    with pytest.raises(OSError):
        MLP(2, [1], seed=0).save(tmp_path / "loop.json")
    assert (tmp_path / "loop.json").is_symlink() and leftovers(tmp_path) == []


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


SAVE_FOREVER = textwrap.dedent(
    """
    import sys
    from autograd_core import nn
    models = [nn.MLP(2, [16, 16, 1], seed=seed) for seed in (1, 2)]
    print("ready", flush=True)
    k = 0
    while True:
        models[k % 2].save(sys.argv[1])
        k += 1
    """
)


@posix_only
@pytest.mark.slow
def test_kill_9_during_save_in_a_loop_leaves_no_stale_temporary_file_after_the_next_save(
    tmp_path: Path,
) -> None:
    path = tmp_path / "model.json"
    expected = [MLP(2, [16, 16, 1], seed=seed).state_dict() for seed in (1, 2)]
    rng = random.Random(0)
    kills = stale_seen = 0
    while kills < 40 and not (kills >= 12 and stale_seen >= 3):
        child = subprocess.Popen(
            [sys.executable, "-c", SAVE_FOREVER, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
            time.sleep(rng.uniform(0.02, 0.3))  # some saves done, one under way
        finally:
            child.send_signal(signal.SIGKILL)
            child.communicate(timeout=60)
        kills += 1
        stale_seen += bool(leftovers(tmp_path))
        # at any moment the file is a complete model, the older or the newer one
        if path.exists():
            assert nn.load_model(path).state_dict() in expected
    # a kill that left a temporary file is what this test is about: it must have happened
    assert stale_seen >= 1, f"no kill out of {kills} left a temporary file"
    MLP(2, [16, 16, 1], seed=3).save(path)
    assert leftovers(tmp_path) == []
    assert nn.load_model(path).state_dict() == MLP(2, [16, 16, 1], seed=3).state_dict()


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
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o200, 0o664])
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


# -- write_atomically, the helper other modules reuse ------------------------------------------


def test_write_atomically_keeps_its_public_signature() -> None:
    # viz writes its pictures with it: a change here breaks another module
    signature = inspect.signature(checkpoint.write_atomically)
    assert list(signature.parameters) == ["path", "data"]
    assert "write_atomically" in checkpoint.__all__


def test_write_atomically_writes_text_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "picture.svg"
    assert checkpoint.write_atomically(path, "<svg>é</svg>") == path
    assert path.read_bytes() == "<svg>é</svg>".encode()
    assert checkpoint.write_atomically(str(path), b"\x89PNG") == path
    assert path.read_bytes() == b"\x89PNG" and leftovers(tmp_path) == []
    with pytest.raises(TypeError, match=r"^write_atomically: data must be str or bytes, got list"):
        checkpoint.write_atomically(path, ["x"])  # type: ignore[arg-type]
    assert path.read_bytes() == b"\x89PNG"


@posix_only
def test_write_atomically_keeps_the_mode_and_follows_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "store" / "graph.svg"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o600)
    link = tmp_path / "graph.svg"
    link.symlink_to(real)
    checkpoint.write_atomically(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_saving_over_a_fifo_or_a_link_to_one_is_refused_and_leaves_it(tmp_path: Path) -> None:
    # A rename would replace the FIFO (or, for a process running as root, a device such as
    # /dev/null) with a regular file. The FIFO stands in for the device: a failing test must
    # not break the machine.
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    link = tmp_path / "latest.json"
    link.symlink_to(fifo)
    with pytest.raises(
        ValueError,
        match=rf"^cannot write '{fifo}': it is a FIFO \(named pipe\), not a regular file; "
        "nothing was written",
    ):
        MLP(2, [1], seed=0).save(fifo)
    with pytest.raises(ValueError, match=rf"^cannot write '{link}' \(-> '{fifo}'\): it is a FIFO"):
        MLP(2, [1], seed=0).save(link)
    with pytest.raises(ValueError, match="it is a FIFO"):
        checkpoint.write_atomically(fifo, b"x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and link.is_symlink()
    assert leftovers(tmp_path) == []


def test_saving_to_a_directory_is_an_os_error_that_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    target.mkdir()
    with pytest.raises(IsADirectoryError):
        MLP(2, [1], seed=0).save(target)
    assert list(target.iterdir()) == [] and leftovers(tmp_path) == []


# -- read-only files and folders (issue 27, finding 6) ----------------------------------------


@posix_only
@pytest.mark.parametrize("mode", [0o444, 0o400, 0o555, 0o000])
def test_a_read_only_file_is_not_replaced(tmp_path: Path, mode: int) -> None:
    # open(path, "w") refuses such a file (for root too, since no one has the w bit: the
    # rule is the mode's, so it holds whoever runs the tests); so does a save
    path = MLP(2, [1], seed=0).save(tmp_path / "model.json")
    original = path.read_bytes()
    path.chmod(mode)
    try:
        with pytest.raises(PermissionError, match=rf"read-only \(mode {mode:#o}\)") as caught:
            MLP(2, [1], seed=1).save(path)
        assert caught.value.filename == str(path) and str(path) in str(caught.value)
        assert ".tmp" not in str(caught.value)
        with pytest.raises(PermissionError, match="read-only"):
            checkpoint.check_writable(path)
        link = tmp_path / "latest.json"  # through a symlink: the file it points to decides
        link.symlink_to(path.name)
        with pytest.raises(PermissionError, match=r"the file \(-> .*\) is read-only"):
            MLP(2, [1], seed=1).save(link)
    finally:
        path.chmod(0o600)
    assert path.read_bytes() == original and leftovers(tmp_path) == []


def test_errors_of_the_temporary_file_name_the_users_path(
    tmp_path: Path, refuse_temporary_files: Callable[[], None]
) -> None:
    # a folder where no file can be made: the error was about ".m.json.<pid>.<hex>.tmp"
    missing = tmp_path / "no-such-folder" / "m.json"
    with pytest.raises(FileNotFoundError) as caught:
        MLP(2, [1], seed=0).save(missing)
    assert caught.value.filename == str(missing) and ".tmp" not in str(caught.value)
    assert "no-such-folder" in str(caught.value)
    # a folder that is not writable, as an unprivileged user meets it: the OS refuses the
    # temporary file with EACCES (simulated here, so that the test also runs as root)
    refuse_temporary_files()
    target = tmp_path / "m.json"
    with pytest.raises(PermissionError) as caught:
        MLP(2, [1], seed=0).save(target)
    message = str(caught.value)
    assert caught.value.filename == str(target) and ".tmp" not in message
    assert message.startswith("[Errno 13] Permission denied (a save writes a new file in")
    assert not target.exists() and leftovers(tmp_path) == []


@posix_only
def test_a_read_only_folder_is_reported_with_the_users_path(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may write into a read-only folder; the test above simulates it")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError) as caught:
            MLP(2, [1], seed=0).save(folder / "m.json")
    finally:
        folder.chmod(0o755)
    assert caught.value.filename == str(folder / "m.json") and ".tmp" not in str(caught.value)


# -- metadata, checked on save and bounded on read (issue 27, finding 9) ----------------------


@pytest.mark.parametrize(
    ("metadata", "error", "match"),
    [
        (
            {"runs": [{"loss": float("nan")}]},
            ValueError,
            r"metadata\['runs'\]\[0\]\['loss'\] is nan",
        ),
        ({"x": float("inf")}, ValueError, r"metadata\['x'\] is inf"),
        ({"big": 10**5000}, ValueError, r"metadata\['big'\] is an integer of 16610 bits"),
        ({1: "a"}, TypeError, r"metadata has the key 1 of type int"),
        ({"s": {1, 2}}, TypeError, r"metadata\['s'\] is set \{1, 2\}, which JSON cannot hold"),
        ({"b": b"x"}, TypeError, r"metadata\['b'\] is bytes"),
        ({"v": nn.Neuron(1, seed=0).parameters()[0]}, TypeError, r"metadata\['v'\] is Value"),
    ],
)
def test_metadata_outside_the_json_convention_is_refused_naming_its_place(
    tmp_path: Path, metadata: dict[Any, Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=r"^save: " + match + r".*nothing was written to '"):
        MLP(2, [1], seed=0).save(tmp_path / "m.json", metadata=metadata)
    assert list(tmp_path.iterdir()) == []


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def test_metadata_nesting_is_bounded_without_recursion(tmp_path: Path) -> None:
    limit = checkpoint.MAX_METADATA_DEPTH
    path = MLP(2, [1], seed=0).save(tmp_path / "ok.json", metadata={"n": nested(limit - 1)})
    assert checkpoint.read(path).metadata == {"n": nested(limit - 1)}
    for depth in (limit, 100_000):  # 100,000 levels: a RecursionError before
        with pytest.raises(
            ValueError, match=rf"metadata\['n'\](\[0\])* is nested more than {limit}"
        ):
            MLP(2, [1], seed=0).save(tmp_path / "deep.json", metadata={"n": nested(depth)})
    assert not (tmp_path / "deep.json").exists()


def test_metadata_size_is_bounded_as_written(tmp_path: Path) -> None:
    limit = checkpoint.MAX_METADATA_BYTES
    # {"note": "xxx..."} as save writes it, '{\n  "note": "..."\n }', is len + 17 bytes
    fits = {"note": "x" * (limit - 17)}
    path = MLP(2, [1], seed=0).save(tmp_path / "m.json", metadata=fits)
    assert checkpoint.read(path).metadata == fits
    text = path.read_text()
    start = text.index('"metadata": ') + len('"metadata": ')
    assert json.JSONDecoder().raw_decode(text[start:])[1] == limit  # exactly at the limit
    with pytest.raises(ValueError, match=rf"the metadata would take {limit + 1} bytes"):
        MLP(2, [1], seed=0).save(tmp_path / "n.json", metadata={"note": "x" * (limit - 16)})


def write_document(path: Path, text_of_metadata: str, model: MLP | None = None) -> Path:
    """A saved model whose metadata is replaced by the given JSON text (checksum still valid:
    it does not cover the metadata)."""
    model = model or MLP(2, [3, 1], seed=0)
    text = model.save(path).read_text()
    head, _, rest = text.partition('"metadata": {},')
    path.write_text(head + '"metadata": ' + text_of_metadata + "," + rest)
    return path


@pytest.mark.parametrize(
    ("metadata", "match"),
    [
        ("[" * 50_000 + "]" * 50_000, "nested too deeply|is nested more than 32"),
        ('{"a": ' * 40 + "0" + "}" * 40, r"metadata(\['a'\])+ is nested more than 32"),
        ('{"x": 1e999}', r"metadata\['x'\] is inf"),
        ('{"x": NaN}', "NaN, which is not a finite number"),
        ('{"x": ' + "9" * 5000 + "}", "Exceeds the limit|digits"),
        ('{"x": ' + "9" * 400 + "}", r"metadata\['x'\] is an integer of 1329 bits"),
        ('{"x": 1, "x": 2}', "the key 'x' appears twice"),
    ],
)
def test_hostile_metadata_in_a_file_is_a_checkpoint_error(
    tmp_path: Path, metadata: str, match: str
) -> None:
    path = write_document(tmp_path / "m.json", metadata)
    for read in (checkpoint.read, nn.load_model, MLP(2, [3, 1], seed=1).load):
        with pytest.raises(CheckpointError, match=f"^{path}: .*({match})"):
            read(path)


def test_metadata_longer_than_the_limit_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = checkpoint.MAX_METADATA_BYTES
    path = write_document(tmp_path / "m.json", '{"junk": [' + "[]," * (limit // 3) + "[]]}")
    parsed: list[int] = []
    real_decode = checkpoint._DECODER.raw_decode

    def counting(text: str, *args: Any) -> Any:
        parsed.append(len(text))
        return real_decode(text, *args)

    monkeypatch.setattr(checkpoint._DECODER, "raw_decode", counting)
    for read in (checkpoint.read, nn.load_model, MLP(2, [3, 1], seed=1).load):
        with pytest.raises(CheckpointError, match=r'the "metadata" field is longer than'):
            read(path)
    assert max(parsed) <= limit + 1  # never more than the limit handed to the parser


def test_a_file_larger_than_its_model_can_be_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = MLP(2, [3, 1], seed=0)
    path = model.save(tmp_path / "m.json")
    with path.open("a") as f:  # 3 MB of trailing spaces: valid JSON, a junk-sized file
        f.write(" " * 3_000_000)
    sizes: list[int] = []
    real_read = os.read

    def counting(fd: int, n: int) -> bytes:
        chunk = real_read(fd, n)
        sizes.append(len(chunk))
        return chunk

    monkeypatch.setattr(os, "read", counting)
    with pytest.raises(CheckpointError, match=r"more than a saved model of 13 parameters can"):
        MLP(2, [3, 1], seed=1).load(path)
    assert sum(sizes) == 0  # refused from the size alone
    with pytest.raises(CheckpointError, match=r"more than a saved MLP of 13 parameters can"):
        nn.load_model(path)
    assert sum(sizes) <= 1 << 16  # the head, where the architecture is
    with pytest.raises(CheckpointError, match=r"more than a saved MLP of 13 parameters can"):
        checkpoint.read(path)
