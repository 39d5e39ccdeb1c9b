"""Shared test set-up: hypothesis profiles and the PyTorch requirement in CI."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# No per-example deadline: timings on a shared 2-core machine are not what these tests check.
settings.register_profile("default", deadline=None)
settings.register_profile(
    "ci", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "default")


def require_torch():  # type: ignore[no-untyped-def]
    """Import torch, or skip; in CI (CI=true) a missing torch is a failure, not a skip."""
    if os.environ.get("CI") == "true":
        import torch  # noqa: F401 - CI installs torch==2.13.0; its absence must fail loudly

    return pytest.importorskip("torch")


@pytest.fixture(scope="session")
def torch():  # type: ignore[no-untyped-def]
    """The torch module (float64 cross-checks); see ``require_torch`` for CI behaviour.

    Use it as a test argument: ``def test_x(torch): ...``, or import ``require_torch`` with
    ``from tests.conftest import require_torch`` (tests/ is a package).
    """
    return require_torch()


@pytest.fixture
def refuse_temporary_files(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A function that makes ``os.open`` refuse every ``*.tmp`` file with EACCES, as a folder
    without write permission does for an unprivileged user (simulated, so that the tests hold
    when they run as root, who may write anywhere)."""
    real_open = os.open

    def refusing(name: object, flags: int, *args: object, **kwargs: object) -> int:
        if str(name).endswith(".tmp"):
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, flags, *args, **kwargs)  # type: ignore[arg-type]

    def refuse() -> None:
        monkeypatch.setattr(os, "open", refusing)

    return refuse


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """Debian's Chromium, headless, driven by Playwright (one per test module); in CI its
    absence is a failure (see ``tests.test_stepthrough.chromium_or_skip``)."""
    import shutil

    from tests.test_stepthrough import CHROMIUM, chromium_or_skip

    sync_playwright = chromium_or_skip()
    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable)
        yield launched
        launched.close()


@pytest.fixture(autouse=True)
def _collector_left_as_found():  # type: ignore[no-untyped-def]
    """Fail a test that leaves Python's garbage collector switched off: the tests after it in
    the same worker (the collector's own among them) would fail for no fault of theirs."""
    import gc

    before = gc.isenabled()
    yield
    if before and not gc.isenabled():
        gc.enable()
        pytest.fail("the test left Python's garbage collector switched off")
