"""Keep a child process (ffmpeg, MediaMTX) running: restart it with back-off, stop it cleanly.

The supervisor's thread starts the process, hands each line of its stdout to ``on_line`` (so a
reader can index segments as ffmpeg finishes them), and when the process exits for any reason
other than :meth:`Supervisor.stop` waits ``backoff`` seconds (doubling up to ``max_backoff``;
reset once the process proves healthy with :meth:`Supervisor.healthy`) and starts it again.

The child never outlives us. It runs in a session of its own (a Ctrl-C meant for the server does
not reach it; :meth:`Supervisor.stop` asks it to finish its segment first), so nothing kills it
with us by default: a ``kill -9`` of the server (the OOM killer) would leave it writing the ring
and holding the camera while the next start runs a second one. Two guards:

- the child asks the kernel for SIGKILL when its parent dies (``PR_SET_PDEATHSIG``, set between
  fork and exec). The kernel means the parent *thread*: the signal fires when the thread that
  forked the child exits. That is why every start happens on the supervisor's own thread, which
  lives exactly as long as the supervision and ends only after the child has been stopped;
- a pid file (``pid_file``, the pid and the command line) is written at each start and removed at
  each exit; at start the supervisor kills a process a pid file names if that process still runs
  that very command line (read from ``/proc/<pid>/cmdline``, so a recycled pid is left alone).
  It catches what the first guard cannot: a child left by a version without the guard, or one
  that ran a set-user-ID program (exec clears the request for those).

Short jobs (the ffmpeg that cuts a clip, stitches a timelapse or makes an export) get the first
guard too, through :func:`run_job` and :func:`start_job`: each is started by the thread that then
waits for it to finish, so that thread outlives the job as the supervisor's thread outlives its
child, and a ``kill -9`` of the appliance takes the job with it instead of leaving it writing a
file nobody will finish or clean up.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from securitycam.clock import Clock
from securitycam.fileio import write_atomic

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
# Resolved once in the parent: between fork and exec the child only makes the call.
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def die_with_parent(parent: int) -> None:
    """``preexec_fn``: SIGKILL this child when the thread that forked it exits (see the module doc).

    ``parent`` is the forking process's pid, taken before the fork."""
    if _prctl is None:
        return
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request was made: nobody would tell us
        os.kill(os.getpid(), signal.SIGKILL)


def run_job(args: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess:
    """:func:`subprocess.run` for a job that must not outlive the appliance (see the module doc)."""
    return subprocess.run(list(args), preexec_fn=partial(die_with_parent, os.getpid()), **kwargs)


def start_job(args: Sequence[str], **kwargs: Any) -> subprocess.Popen:
    """:class:`subprocess.Popen` for such a job; the calling thread must be the one that waits for it
    (the death signal fires when the thread that started the job exits)."""
    return subprocess.Popen(list(args), preexec_fn=partial(die_with_parent, os.getpid()), **kwargs)


def reap_stray(pid_file: Path, timeout: float = 5.0) -> int | None:
    """Kill the process ``pid_file`` names if it still runs the command recorded there; its pid."""
    try:
        recorded = json.loads(pid_file.read_text())
        pid, args = int(recorded["pid"]), [str(arg) for arg in recorded["args"]]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("ignoring unreadable pid file %s", pid_file)
        pid_file.unlink(missing_ok=True)
        return None
    if _cmdline(pid) != args:
        pid_file.unlink(missing_ok=True)
        return None
    log.warning("killing %s (pid %d) left running by a previous process", args[0], pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while _cmdline(pid) == args and time.monotonic() < deadline:
        time.sleep(0.05)
    pid_file.unlink(missing_ok=True)
    return pid


def _cmdline(pid: int) -> list[str] | None:
    """The running (not zombie) process ``pid``'s arguments, or ``None``."""
    try:
        if Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z":
            return None
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, IndexError):
        return None
    return [part.decode(errors="surrogateescape") for part in raw.split(b"\0")[:-1]]

RUNNING = "running"
RESTARTING = "restarting"
STOPPED = "stopped"
FAILED = "failed"


class Supervisor:
    """One supervised child process.

    ``command`` is called before every start (settings may have changed). ``on_state(state,
    detail)`` is told of every change (``running``, ``restarting`` with the exit code,
    ``failed`` when it cannot be started, ``stopped``). stderr goes to ``log_file``; the running
    child's pid and command line to ``pid_file``, if given.
    """

    def __init__(
        self,
        name: str,
        command: Callable[[], list[str]],
        *,
        log_file: Path,
        pid_file: Path | None = None,
        on_line: Callable[[str], None] | None = None,
        on_state: Callable[[str, dict], None] | None = None,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        stop_timeout: float = 5.0,
        clock: Clock | None = None,
    ) -> None:
        self.name = name
        self._command = command
        self._log_file = log_file
        self._pid_file = pid_file
        self._on_line = on_line
        self._on_state = on_state
        self._initial_backoff = backoff
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._stop_timeout = stop_timeout
        self._clock = clock or Clock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self.state = STOPPED
        self.restarts = 0
        self.started_at: float | None = None
        self.last_exit: int | None = None

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process and process.poll() is None else None

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=f"supervise-{self.name}", daemon=True)
        self._thread.start()

    def healthy(self) -> None:
        """The process is doing its job: the next failure starts the back-off from the beginning."""
        self._backoff = self._initial_backoff

    def restart(self, reason: str) -> None:
        """Kill a stalled process (a hung one may ignore politeness); the loop starts another."""
        log.warning("%s: restarting (%s)", self.name, reason)
        self.kill()

    def kill(self) -> None:
        """Kill the process abruptly, as a crash or power cut would (tests and benchmarks)."""
        process = self._process
        if process and process.poll() is None:
            process.kill()

    def stop(self) -> None:
        self._stopping.set()
        self._terminate(self._process)
        if self._thread:
            self._thread.join(timeout=self._stop_timeout + 5)
        self._set_state(STOPPED, {})

    def _run(self) -> None:
        # This thread forks every child and outlives each of them: the parent PR_SET_PDEATHSIG watches.
        if self._pid_file is not None:
            reap_stray(self._pid_file)
        while not self._stopping.is_set():
            try:
                args = self._command()
                self._log_file.parent.mkdir(parents=True, exist_ok=True)
                with open(self._log_file, "ab") as stderr:
                    process = subprocess.Popen(
                        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                        start_new_session=True, preexec_fn=partial(die_with_parent, os.getpid()),
                    )
                self._write_pid_file(process.pid, args)
            except (OSError, ValueError) as exc:
                log.error("%s: cannot start: %s", self.name, exc)
                self._set_state(FAILED, {"error": str(exc)})
                self._wait_backoff()
                continue
            with self._lock:
                self._process = process
            if self._stopping.is_set():
                self._terminate(process)
            self.started_at = self._clock.time()
            self._set_state(RUNNING, {"pid": process.pid})
            self._pump(process)
            code = process.wait()
            self.last_exit = code
            if self._pid_file is not None:
                self._pid_file.unlink(missing_ok=True)
            if self._stopping.is_set():
                break
            self.restarts += 1
            log.warning("%s: exited with %s; restarting in %.1f s", self.name, code, self._backoff)
            self._set_state(RESTARTING, {"exit_code": code, "retry_in": self._backoff})
            self._wait_backoff()

    def _write_pid_file(self, pid: int, args: list[str]) -> None:
        if self._pid_file is not None:
            self._pid_file.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self._pid_file, json.dumps({"pid": pid, "args": [str(arg) for arg in args]}))

    def _pump(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            if self._on_line is not None:
                try:
                    self._on_line(raw.decode(errors="replace").strip())
                except Exception:
                    log.exception("%s: output handler failed", self.name)
        process.stdout.close()

    def _wait_backoff(self) -> None:
        self._stopping.wait(self._backoff)
        self._backoff = min(self._backoff * 2, self._max_backoff)

    def _terminate(self, process: subprocess.Popen[bytes] | None) -> None:
        """Ask politely (``q`` on stdin, which ffmpeg honours, then SIGTERM), then kill the group."""
        if process is None or process.poll() is not None:
            return
        try:
            if process.stdin:
                process.stdin.write(b"q")
                process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=self._stop_timeout / 2)
            return
        except subprocess.TimeoutExpired:
            pass
        process.terminate()
        try:
            process.wait(timeout=self._stop_timeout / 2)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def _set_state(self, state: str, detail: dict) -> None:
        self.state = state
        if self._on_state is not None:
            try:
                self._on_state(state, detail)
            except Exception:
                log.exception("%s: state listener failed", self.name)
