"""The conversion workers: a job runs in another process within its CPU, memory and wall-clock budgets; a worker
that dies or is killed is replaced for the next job; none is started before the first job, and none outlives the
process that uses it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from emulator.documents import worker
from emulator.documents.errors import ConversionError
from emulator.documents.limits import Limits, TooManyPages

JOBS = "tests.documents.worker_jobs"
FAST = Limits(cpu_seconds=1, wall_seconds=20)
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGXCPU"), reason="CPU limits need a POSIX kernel")


@pytest.fixture
def pool():
    """A pool of the test's own (the process's pool is shared by every box of the test session)."""
    own = worker.WorkerPool(max_workers=2, max_idle=2)
    yield own
    own.close()


def job(name: str) -> str:
    return f"{JOBS}:{name}"


def gone(pid: int, within: float = 10) -> bool:
    """Whether process ``pid`` has ended (or is a zombie nobody reaps) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_a_job_runs_in_another_process_and_its_worker_is_kept(pool):
    first = pool.run(job("pid"), (), FAST)
    assert first != os.getpid()
    assert pool.run(job("pid"), (), FAST) == first
    assert pool.started == 1


def test_a_refusal_crosses_intact_and_the_worker_stays(pool):
    before = pool.run(job("pid"), (), FAST)
    with pytest.raises(TooManyPages, match="more than 7 pages") as refused:
        pool.run(job("refuse"), (7,), FAST)
    assert refused.value.limit == 7
    with pytest.raises(ConversionError, match="not a valid PDF"):
        pool.run(job("refuse"), (0,), FAST)
    assert pool.run(job("pid"), (), FAST) == before


@pytest.mark.parametrize("name", ["spin", "spin_in_c"])
def test_the_cpu_budget_ends_a_runaway_even_inside_c_and_the_next_job_gets_a_new_worker(pool, name):
    before = pool.run(job("pid"), (), FAST)
    with pytest.raises(ConversionError, match=r"^conversion took more than 1 CPU second$"):
        pool.run(job(name), (), FAST)
    assert gone(before)
    after = pool.run(job("pid"), (), FAST)
    assert after != before


def test_the_wall_clock_deadline_kills_a_job_that_uses_no_cpu(pool):
    before = pool.run(job("pid"), (), FAST)
    with pytest.raises(ConversionError, match=r"^conversion took more than 0.5 seconds$"):
        pool.run(job("sleep"), (60,), Limits(cpu_seconds=60, wall_seconds=0.5))
    assert gone(before)
    assert pool.run(job("pid"), (), FAST) != before


def test_the_default_deadline_leaves_room_beyond_the_cpu_budget():
    assert Limits(cpu_seconds=60).deadline == 240
    assert Limits(cpu_seconds=1).deadline == 31


def test_the_memory_budget_fails_the_job_and_the_worker_is_replaced(pool):
    limits = Limits(memory_mib=256, cpu_seconds=5, wall_seconds=20)
    assert pool.run(job("allocate"), (64,), limits) == 64 * 1024 * 1024
    before = pool.run(job("pid"), (), limits)
    with pytest.raises(ConversionError, match=r"^conversion ran out of memory \(more than 256 MiB\)$"):
        pool.run(job("allocate"), (1024,), limits)
    assert gone(before)
    assert pool.run(job("allocate"), (64,), limits) == 64 * 1024 * 1024


def test_a_worker_killed_while_idle_is_replaced(pool):
    before = pool.run(job("pid"), (), FAST)
    os.kill(before, signal.SIGKILL)
    assert gone(before)
    assert pool.run(job("pid"), (), FAST) not in (before, os.getpid())


def test_a_worker_killed_during_a_job_fails_that_job_only(pool):
    before = pool.run(job("pid"), (), FAST)
    threading.Timer(0.3, os.kill, (before, signal.SIGKILL)).start()
    with pytest.raises(ConversionError, match="its worker process was killed"):
        pool.run(job("sleep"), (30,), FAST)
    assert pool.run(job("pid"), (), FAST) != before


def test_a_worker_that_exits_is_an_internal_error(pool):
    with pytest.raises(ConversionError, match="^internal error$"):
        pool.run(job("die"), (), FAST)
    assert pool.run(job("pid"), (), FAST)


def test_jobs_at_once_never_use_more_workers_than_the_cap(pool):
    results: list[object] = []

    def one() -> None:
        results.append(pool.run(job("sleep"), (0.3,), FAST))

    threads = [threading.Thread(target=one) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [None] * 5
    assert pool.started <= 2


def test_pillow_refuses_past_the_page_budget_in_the_worker(pool):
    assert pool.run(job("pillow_settings"), (), Limits(page_pixels=1234)) == (1234, True)


def test_a_closed_pool_refuses_new_jobs(pool):
    pool.run(job("pid"), (), FAST)
    pool.close()
    with pytest.raises(ConversionError, match="shutting down"):
        pool.run(job("pid"), (), FAST)


def _python(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_nothing_is_started_at_import_or_when_a_box_starts(tmp_path):
    done = _python(
        f"""
        import multiprocessing, os
        from emulator.box import Box
        from emulator.settings import Settings
        from emulator.documents import worker
        box = Box(Settings(data_dir={str(tmp_path)!r}, manual_clock=True, argon2_time_cost=1, argon2_memory_kib=8))
        box.start()
        children = open(f"/proc/self/task/{{os.getpid()}}/children").read().split()
        print(worker._pool is None, children == [], multiprocessing.active_children() == [])
        box.stop()
        """
    )
    assert done.stdout.split() == ["True", "True", "True"], done.stderr


def test_no_worker_outlives_its_process_whether_it_exits_or_is_killed():
    for ending in ("raise SystemExit(0)", "os.kill(os.getpid(), signal.SIGKILL)"):
        done = _python(
            f"""
            import os, signal
            from emulator.documents import worker
            from emulator.documents.limits import Limits

            if __name__ == "__main__":
                print(worker.run("{JOBS}:pid", (), Limits()), flush=True)
                {ending}
            """
        )
        worker_pid = int(done.stdout.split()[0])
        assert gone(worker_pid), f"worker {worker_pid} still runs after its parent ended ({ending})"


def test_an_exception_that_cannot_travel_back_is_a_runtime_error_naming_it(pool):
    with pytest.raises(RuntimeError, match=r"^Unrebuildable: a b \(in the conversion worker\)"):
        pool.run(job("raise_unrebuildable"), (), FAST)
    assert pool.run(job("pid"), (), FAST) > 0  # the worker is fine


def test_a_job_that_raises_system_exit_does_not_stop_the_caller(pool):
    with pytest.raises(RuntimeError, match=r"^SystemExit: 4"):
        pool.run(job("exit_job"), (), FAST)


def test_a_call_interrupted_half_way_never_gives_its_answer_to_the_next_caller(pool, monkeypatch):
    calls = []
    real = worker._Worker._exchange

    def interrupted(self, *args):  # noqa: ANN001, ANN202
        calls.append(self.process.pid)
        if len(calls) == 1:
            self.conn.send((job("pid"), (), FAST))  # the job goes out, then the caller is interrupted
            raise KeyboardInterrupt
        return real(self, *args)

    monkeypatch.setattr(worker._Worker, "_exchange", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pool.run(job("pid"), (), FAST)
    assert pool.run(job("pid"), (), FAST) != calls[0]  # a new worker, not the one with an answer pending
    assert gone(calls[0])


def test_a_worker_that_dies_while_writing_leaves_no_scratch_file(tmp_path):
    target = tmp_path / "out.pdf"
    with pytest.raises(ConversionError):
        worker.run(job("write_scratch_then_die"), (target,), FAST)
    assert list(tmp_path.iterdir()) == []


def test_when_the_fork_server_cannot_start_workers_are_spawned(monkeypatch):
    pool = worker.WorkerPool(max_workers=1, max_idle=1)
    if pool._context.get_start_method() != "forkserver":
        pytest.skip("this platform has no fork server")
    real = worker._Worker.__init__

    def no_fork_server(self, context):  # noqa: ANN001, ANN202
        if context.get_start_method() == "forkserver":
            raise OSError(36, "AF_UNIX path too long")
        real(self, context)

    monkeypatch.setattr(worker._Worker, "__init__", no_fork_server)
    try:
        assert pool.run(job("pid"), (), FAST) != os.getpid()
        assert pool._context.get_start_method() == "spawn"
    finally:
        pool.close()
