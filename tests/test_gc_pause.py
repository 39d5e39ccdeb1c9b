"""The cyclic-collector pause of autograd_core._gc: nesting, errors, callers' own settings, threads.

The pause is counted across threads (see the module docstring of ``_gc``); the stress tests run
nested pauses in eight threads at once, with the interpreter switching threads as often as it
can, and check that the collector is off inside every pause and back as it was at the end.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

import autograd_core as ag
from autograd_core import _gc
from autograd_core._gc import pause, paused_gc, pausing_gc, resume


@pytest.fixture(autouse=True)
def _collector_on_and_no_pause() -> Iterator[None]:
    """Each test starts and ends with the collector on and no pause active."""
    assert _gc._active == 0
    gc.enable()
    try:
        yield
        assert _gc._active == 0, "a pause was left active"
    finally:
        gc.enable()


@pytest.fixture
def collector_off() -> Iterator[None]:
    """The caller has switched the collector off (the autouse fixture switches it back on)."""
    gc.disable()
    yield


# -- one thread ---------------------------------------------------------------------------------


def test_each_form_switches_the_collector_off_then_back_on() -> None:
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()

    @pausing_gc
    def inside() -> bool:
        return gc.isenabled()

    assert inside() is False
    assert gc.isenabled()

    pause()
    try:
        assert not gc.isenabled()
    finally:
        resume()
    assert gc.isenabled()


def test_pauses_nest_and_only_the_outermost_end_restores_the_collector() -> None:
    @pausing_gc
    def decorated() -> None:
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the decorator's own pause is still active

    with paused_gc():
        decorated()
        assert not gc.isenabled()
        pause()
        resume()
        assert not gc.isenabled()
        assert _gc._active == 1
    assert gc.isenabled()


def test_the_collector_comes_back_when_the_block_raises() -> None:
    with paused_gc():
        with pytest.raises(RuntimeError, match="boom"), paused_gc():
            raise RuntimeError("boom")
        assert not gc.isenabled()  # the outer pause is still active
    assert gc.isenabled()

    with pytest.raises(RuntimeError, match="boom"), paused_gc(), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()

    @pausing_gc
    def fails() -> None:
        raise ValueError("bang")

    with pytest.raises(ValueError, match="bang"):
        fails()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_off")
def test_a_caller_who_disabled_the_collector_keeps_it_disabled() -> None:
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert not gc.isenabled()

    with pytest.raises(RuntimeError, match="boom"), paused_gc():
        raise RuntimeError("boom")
    assert not gc.isenabled()

    assert pausing_gc(gc.isenabled)() is False
    assert not gc.isenabled()


def test_resume_without_a_pause_is_an_error_that_changes_nothing() -> None:
    with pytest.raises(RuntimeError, match=r"resume\(\) called without a matching pause\(\)"):
        resume()
    assert gc.isenabled()
    assert _gc._active == 0
    with paused_gc():  # the lock was released despite the error
        assert not gc.isenabled()


def test_gc_enable_inside_a_pause_lasts_until_the_next_pause_begins() -> None:
    with paused_gc():
        gc.enable()
        assert gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause switched it off again; the outer is active
    assert gc.isenabled()


def test_the_state_before_the_first_pause_is_what_the_last_one_restores() -> None:
    with paused_gc():
        gc.disable()  # switched by hand while paused: undone, the collector was on before
    assert gc.isenabled()

    gc.disable()
    try:
        with paused_gc():
            gc.enable()  # the collector was off before the first pause: off it goes again
        assert not gc.isenabled()
    finally:
        gc.enable()  # (as the other tests in this worker expect to find it)


def test_the_decorator_keeps_the_function_name_docstring_and_result() -> None:
    def area(width: float, height: float = 1.0) -> float:
        """The area of a rectangle."""
        return width * height

    decorated = pausing_gc(area)
    assert decorated(3.0, height=2.0) == 6.0
    assert decorated.__name__ == "area"
    assert decorated.__doc__ == "The area of a rectangle."
    assert decorated.__wrapped__ is area  # type: ignore[attr-defined]


# -- threads ------------------------------------------------------------------------------------


def hammer(
    paused: Callable[[], AbstractContextManager[Any]],
    pausing: Callable[[Callable[[], None]], Callable[[], None]],
    *,
    threads: int = 8,
    iterations: int = 2000,
) -> list[str]:
    """Nested pauses in ``threads`` threads at once; what went wrong, or ``[]``.

    Each iteration of each thread enters ``paused()``, calls a function decorated with
    ``pausing`` and enters ``paused()`` again inside, checking that the collector is off at
    each level. The interpreter switches threads every microsecond it can (the switch
    interval is put back afterwards), so the pauses of different threads begin and end in
    every possible order. Written for any pair of functions with the interface of
    ``paused_gc`` and ``pausing_gc``, so that an older implementation can be put through it.
    """
    problems: list[str] = []  # list.append is atomic: the threads share it without a lock
    start = threading.Barrier(threads)

    @pausing
    def decorated() -> None:
        if gc.isenabled():
            problems.append("collector on inside a decorated function")

    def work() -> None:
        try:
            start.wait()
            for _ in range(iterations):
                with paused():
                    decorated()
                    with paused():
                        if gc.isenabled():
                            problems.append("collector on inside a nested pause")
                    if gc.isenabled():
                        problems.append("collector on inside a pause")
        except BaseException as exc:  # reported by the test, not lost in a thread
            problems.append(f"{type(exc).__name__}: {exc}")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(interval)
    return problems


def test_under_threads_the_collector_is_off_in_every_pause_and_on_at_the_end() -> None:
    interval = sys.getswitchinterval()
    problems = hammer(paused_gc, pausing_gc)
    assert problems == []
    assert gc.isenabled()
    assert _gc._active == 0
    assert sys.getswitchinterval() == interval


@pytest.mark.usefixtures("collector_off")
def test_under_threads_a_collector_switched_off_by_the_caller_stays_off() -> None:
    assert hammer(paused_gc, pausing_gc, iterations=500) == []
    assert not gc.isenabled()


class _PausedByHand:
    """A pause made of ``pause()`` and ``resume()``, as a hot loop would write it."""

    def __enter__(self) -> None:
        pause()

    def __exit__(self, *exc_info: object) -> None:
        resume()


def test_under_threads_pause_and_resume_match_up_with_the_other_forms() -> None:
    assert hammer(_PausedByHand, pausing_gc, iterations=500) == []
    assert gc.isenabled()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_fork_while_another_thread_holds_the_lock_does_not_hang_the_child() -> None:
    _gc._lock.acquire()  # as if another thread were inside pause() at the moment of the fork
    try:
        pid = os.fork()
        if pid == 0:  # the child: pause and resume must not wait for a lock nobody will free
            code = 1
            try:
                signal.alarm(10)  # a hang would end the child by SIGALRM, failing the test
                pause()
                resume()
                code = 0 if gc.isenabled() else 1
            finally:
                os._exit(code)  # never back into pytest, whatever happened
    finally:
        _gc._lock.release()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.skipif(os.name != "posix", reason="sends itself SIGINT with os.kill")
@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signals go to main"
)
def test_ctrl_c_at_any_moment_never_leaves_a_pause_counted() -> None:
    # Python delivers Ctrl-C between bytecodes, at a function's entry and after a call into C.
    # Before: a KeyboardInterrupt landing just after pause() had counted (and before the try
    # that ends it) left the count up and the collector off for good; this test found it
    # after about 5,000 interrupts (1 to 3 leaks in 1.5-3 s). A thread sends SIGINT every
    # few tenths of a millisecond while the main thread calls a @pausing_gc function,
    # `with paused_gc()` and `backward()` in a loop; whatever the interrupt hits, no pause
    # stays counted.
    armed = False

    def interrupt(signum: int, frame: Any) -> None:
        if armed:
            raise KeyboardInterrupt

    @pausing_gc
    def work() -> int:
        return sum(range(20))

    v = ag.Value(3.0)

    def both() -> None:
        work()
        with paused_gc():
            work()
        (v * v + v).backward()  # the fast backward pauses the collector for its walk

    stop = threading.Event()

    def ctrl_c() -> None:
        while not stop.is_set():
            os.kill(os.getpid(), signal.SIGINT)
            stop.wait(0.0002)

    previous = signal.signal(signal.SIGINT, interrupt)
    sender = threading.Thread(target=ctrl_c)
    interrupts = 0
    try:
        sender.start()
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline and interrupts < 3000:
            try:
                armed = True
                while True:
                    both()
            except KeyboardInterrupt:
                armed = False
                interrupts += 1
    finally:
        armed = False
        stop.set()
        sender.join()
        time.sleep(0.05)  # any SIGINT still pending reaches the disarmed handler
        signal.signal(signal.SIGINT, previous)
    assert interrupts >= 100, f"only {interrupts} interrupts arrived"
    assert _gc._active == 0 and gc.isenabled(), f"after {interrupts} interrupts"
