"""A child process measured: wall time, the peak memory of its process tree, caps.

The bench runs dbt, the generator and each peer as a child process. Peak = the
larger of each process's own high-water mark (VmHWM, since its exec) and the
largest sum of the tree's VmRSS seen while polling every 0.1 s (a peak in the
last 0.1 s before exit can be missed). ``ru_maxrss`` of ``wait4`` would include
the parent's RSS at fork time, and ``RUSAGE_CHILDREN`` is the maximum over every
child so far (dbt included), so neither measures one peer.

A time cap stops the child's process group (the child is started in a session
of its own) after ``timeout_seconds``; a memory cap sets ``RLIMIT_AS`` in the
child, so an allocation beyond it fails there (Python raises ``MemoryError``)
instead of the machine swapping.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.1
KILL_GRACE_SECONDS = 5.0


@dataclass
class Measured:
    """A child process: exit code, wall seconds, peak resident memory, whether it was capped.

    ``returncode`` is negative (``-signal``) when a signal ended it;
    ``timed_out``: stopped by the time cap; ``ended_at``: ``time.time()`` when it ended.
    """

    returncode: int
    seconds: float
    peak_rss_bytes: int
    timed_out: bool = False
    ended_at: float = 0.0


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree(root: int) -> list[int]:
    """``root`` and its descendants (from /proc/<pid>/stat)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, stack = [], [root]
    while stack:
        pid = stack.pop()
        tree.append(pid)
        stack.extend(children.get(pid, []))
    return tree


def _address_space_cap(limit_bytes: int) -> Callable[[], None]:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    return cap


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the child's process group, SIGKILL if it is still there after a grace."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=KILL_GRACE_SECONDS)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_measured(
    command: list[str],
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
    show_output: bool = False,
    timeout_seconds: float | None = None,
    memory_limit_bytes: int | None = None,
    cwd: Path | None = None,
) -> Measured:
    """Run ``command``; measure wall time and the peak memory of its process tree.

    Output goes to ``log_path`` (else nowhere), or to this terminal with
    ``show_output``. With ``timeout_seconds`` the child's process group is
    stopped when the time is up (``timed_out``); with ``memory_limit_bytes`` its
    address space is capped (``RLIMIT_AS``). ``cwd``: the child's working
    directory (default: this process's).
    """
    start = time.perf_counter()
    peak_kb = 0
    hwm_kb: dict[int, int] = {}
    timed_out = False
    preexec = _address_space_cap(memory_limit_bytes) if memory_limit_bytes else None
    with open(log_path or os.devnull, "w") as out:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdout=None if show_output else out,
            stderr=None if show_output else subprocess.STDOUT,
            # its own process group only when it may have to be stopped (else
            # Ctrl-C in the terminal reaches it as before)
            start_new_session=timeout_seconds is not None,
            preexec_fn=preexec,  # only setrlimit, before exec
        )
        try:
            while process.poll() is None:
                pids = _tree(process.pid)
                peak_kb = max(peak_kb, sum(_status_kb(pid, "VmRSS") for pid in pids))
                for pid in pids:
                    hwm_kb[pid] = max(hwm_kb.get(pid, 0), _status_kb(pid, "VmHWM"))
                if timeout_seconds is not None and time.perf_counter() - start > timeout_seconds:
                    timed_out = True
                    _stop_group(process)
                    break
                time.sleep(POLL_SECONDS)
        except BaseException:
            if timeout_seconds is not None:
                _stop_group(process)
            raise
    seconds = time.perf_counter() - start
    peak_kb = max(peak_kb, *hwm_kb.values()) if hwm_kb else peak_kb
    return Measured(
        int(process.returncode), seconds, peak_kb * 1024, timed_out, ended_at=time.time()
    )
