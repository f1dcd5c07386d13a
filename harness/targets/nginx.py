# nginx as a target: the C event-loop server most Python servers are compared with, answering
# /ping from its config (`return 200`), so no application code runs at all. This file is a
# wrapper: it writes a config into a temporary directory, starts nginx as its child (one process:
# no master, one worker loop), prints the ready line once nginx answers, and on SIGTERM stops
# nginx and removes the directory. The ready line carries the wrapper's pid: the harness samples
# that process *tree*, so nginx's CPU time and memory are counted, and the wrapper's share is
# nil - it only waits.
#
# Rules of this file: nothing nginx writes lands outside the temporary directory (pid, error log,
# temp paths; the access log is off); every wait is bounded; nginx's stdout goes to our stderr, so
# our stdout carries the ready line alone. The port is found by binding port 0 and closing the
# socket before nginx binds it; another process could take it in between. So readiness is not
# "the port accepts" but "the port answers a path only this nginx knows" (a random token in its
# config): a process that took the port is never mistaken for nginx, which then fails to bind and
# says so in the log this wrapper copies to stderr.
"""nginx (`python -m harness.targets.nginx`): GET /ping -> PONG, from `return 200`."""

from __future__ import annotations

import argparse
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from harness.targets._program import LOOPBACK, announce, bind_loopback

READY_TIMEOUT = 10.0
"""Seconds nginx may take to accept connections."""

PROBE_PAUSE = 0.01
"""Seconds between connection attempts, spent waiting for nginx to exit (which ends the wait)."""

PROBE_TIMEOUT = 1.0
"""Seconds one probe may take; nginx answers in far less, a silent process in the port's way
then costs a second per attempt rather than the whole wait."""

PROBE_ANSWER = b"HTTP/1.1 204 "
"""How nginx answers the readiness probe (`location = /<token>`)."""

STOP_TIMEOUT = 8.0
"""Seconds nginx may take to exit after SIGTERM; under the harness's 10 s, so the wrapper still
removes its directory before the harness kills the process group."""

MAX_CONNECTIONS = 65536
"""Upper bound of `worker_connections`; below it, the open-file limit decides."""

TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
"""nginx's temp-path directives (`<name>_temp_path`); the build's default paths are system ones."""

CONFIG = """\
daemon off;
master_process off;
worker_processes 1;
error_log {tmp}/error.log warn;
pid {tmp}/nginx.pid;

events {{
    worker_connections {connections};
}}

http {{
    access_log off;
    keepalive_requests 1000000;
{temp_paths}
    server {{
        listen {host}:{port};
        location = /ping {{
            default_type text/plain;
            return 200 "PONG";
        }}
        location = /{token} {{
            return 204;
        }}
        location / {{
            return 404;
        }}
    }}
}}
"""


def render_config(
    tmp: Path, port: int, connections: int, token: str = "ready", without: str = ""
) -> str:
    """The nginx config: everything under `tmp`, listening on 127.0.0.1:`port`.

    Args:
        token: the path (without /) of the readiness probe; it answers 204.
        without: `nginx -V` output; a temp path of a module built `--without-http_X_module` is
            left out (its directive would be unknown).
    """
    temp_paths = "\n".join(
        f"    {name}_temp_path {tmp}/{name};"
        for name in TEMP_PATHS
        if f"--without-http_{name}_module" not in without
    )
    return CONFIG.format(
        tmp=tmp,
        host=LOOPBACK,
        port=port,
        connections=connections,
        token=token,
        temp_paths=temp_paths,
    )


def free_port() -> int:
    """A loopback port nobody listened on a moment ago (see the race in this file's comment)."""
    with bind_loopback() as sock:
        port: int = sock.getsockname()[1]
    return port


def worker_connections() -> int:
    """As many connections as the open-file limit allows (the harness raises it to the hard
    limit for its children), with room for nginx's own files."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(512, min(MAX_CONNECTIONS, soft - 64))


class Wrapper:
    """nginx as a child process, stopped on SIGTERM."""

    def __init__(self, binary: str, tmp: Path) -> None:
        self.binary, self.tmp = binary, tmp
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = False
        self.token = f"netmodels-ready-{secrets.token_hex(8)}"

    def on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        """Signal handler: stop nginx (or, before it runs, make sure it is stopped at once)."""
        self.stopping = True
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)

    def start(self, port: int) -> None:
        """Write the config and start nginx; returns without waiting for it."""
        version = subprocess.run(
            [self.binary, "-V"], capture_output=True, text=True, timeout=READY_TIMEOUT, check=False
        )
        conf = self.tmp / "nginx.conf"
        connections = worker_connections()
        conf.write_text(render_config(self.tmp, port, connections, self.token, version.stderr))
        self.process = subprocess.Popen(
            [self.binary, "-p", f"{self.tmp}/", "-c", str(conf), "-e", str(self.tmp / "error.log")],
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr,
        )
        if self.stopping:  # SIGTERM came before `self.process` was set
            self.process.send_signal(signal.SIGTERM)

    def wait_answering(self, port: int) -> bool:
        """Probe until nginx answers (True), or it exits, SIGTERM comes or time is up (False).
        Another process in the port's way gets probed too, until nginx gives up binding."""
        assert self.process is not None
        deadline = time.monotonic() + READY_TIMEOUT
        for _ in range(round(READY_TIMEOUT / PROBE_PAUSE)):
            remaining = deadline - time.monotonic()
            if self.stopping or remaining <= 0:
                return False
            try:
                if self._probe(port, min(remaining, PROBE_TIMEOUT)):
                    return True
            except OSError:
                pass  # not listening yet (refused), or a silent process in the way (timeout)
            try:
                self.process.wait(timeout=PROBE_PAUSE)
            except subprocess.TimeoutExpired:
                continue
            return False
        return False

    def _probe(self, port: int, timeout: float) -> bool:
        """Ask `port` for the token's path: True if it is this nginx that answers."""
        with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
            sock.sendall(f"GET /{self.token} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            answer = b""
            while len(answer) < len(PROBE_ANSWER) and (chunk := sock.recv(len(PROBE_ANSWER))):
                answer += chunk
        return answer.startswith(PROBE_ANSWER)

    def stop(self) -> None:
        """SIGTERM nginx if it still runs; SIGKILL it after `STOP_TIMEOUT`."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        """nginx's error log (empty if it wrote none)."""
        try:
            return (self.tmp / "error.log").read_text(errors="replace")
        except OSError:
            return ""


def run(binary: str) -> int:
    """Run nginx until SIGTERM; returns the exit status (0 after SIGTERM, 1 if nginx failed)."""
    tmp = Path(tempfile.mkdtemp(prefix="netmodels-nginx-"))
    wrapper = Wrapper(binary, tmp)
    signal.signal(signal.SIGTERM, wrapper.on_sigterm)
    try:
        port = free_port()
        wrapper.start(port)
        assert wrapper.process is not None
        if wrapper.wait_answering(port):
            announce("nginx", (LOOPBACK, port))
            wrapper.process.wait()
        if wrapper.stopping:
            return 0
        status = wrapper.process.poll()
        why = (
            f"exited with status {status}"
            if status is not None
            else f"did not answer within {READY_TIMEOUT:g} s"
        )
        sys.stderr.write(f"nginx {why}:\n{wrapper.log()}")
        return 1
    finally:
        wrapper.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the nginx target; exits with status 2 on any option (it takes none)."""
    argparse.ArgumentParser(prog="python -m harness.targets.nginx", description=__doc__).parse_args(
        argv
    )
    binary = shutil.which("nginx")
    if binary is None:
        sys.stderr.write("nginx not installed (apt-get install nginx-light)\n")
        return 1
    return run(binary)


if __name__ == "__main__":
    sys.exit(main())
