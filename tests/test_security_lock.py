"""The single-instance lock is atomic: several processes hammering acquire (with ``clear_stale``, what ``recover``
uses) and release thousands of times never hold it at the same time.

Each holder proves its exclusivity on a shared witness file: it creates ``holder`` with O_EXCL while it holds the
lock and removes it before releasing. Two holders at once make the O_EXCL create fail, which the worker counts as an
overlap. The lock is also taken over from a worker killed while holding it (kill -9), as after a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

WORKER = textwrap.dedent("""
    import os, sys
    from amirtui.core.errors import LockHeld
    from amirtui.core.lock import InstanceLock
    data, attempts, start = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    witness = os.path.join(data, "holder")
    while not os.path.exists(start):  # all workers begin together
        pass
    held = overlaps = refused = 0
    for _ in range(attempts):
        lock = InstanceLock(data)
        try:
            lock.acquire(clear_stale=True)
        except LockHeld:
            refused += 1
            continue
        held += 1
        try:
            fd = os.open(witness, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            overlaps += 1
        else:
            os.close(fd)
            os.unlink(witness)
        lock.release()
    print(held, overlaps, refused)
""")


def test_thousands_of_concurrent_attempts_never_overlap(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    start = tmp_path / "go"
    workers, attempts = 4, 1500
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(data), str(attempts), str(start)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(workers)]
    start.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.append(tuple(int(x) for x in out.split()))
    held = sum(r[0] for r in results)
    overlaps = sum(r[1] for r in results)
    refused = sum(r[2] for r in results)
    assert held + refused == workers * attempts
    assert overlaps == 0, results
    assert held >= 100  # the lock really changed hands many times under contention
    assert refused > 0, "no contention happened: the test proved nothing"
    assert not (data / "amirtui.lock").exists()


def test_a_holder_killed_with_sigkill_leaves_a_stale_lock_that_can_be_taken_over(tmp_path):
    from amirtui.core.errors import LockHeld
    from amirtui.core.lock import InstanceLock, lock_state, read_lock

    code = ("import sys, time\nfrom amirtui.core.lock import InstanceLock\nInstanceLock(sys.argv[1]).acquire()\n"
            "print('held', flush=True)\ntime.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    assert lock_state(tmp_path)[0] == "held"
    try:
        InstanceLock(tmp_path).acquire(clear_stale=True)
        raise AssertionError("a live holder's lock was taken")
    except LockHeld as exc:
        assert f"pid {holder.pid}" in str(exc)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    state, info = lock_state(tmp_path)
    assert state == "stale" and info.pid == holder.pid
    lock = InstanceLock(tmp_path)
    try:
        lock.acquire()
        raise AssertionError("a stale lock was taken without clear_stale")
    except LockHeld as exc:
        assert "stale lock" in str(exc)
    lock.acquire(clear_stale=True)
    assert read_lock(lock.path).pid == os.getpid()
    lock.release()
