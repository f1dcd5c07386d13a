# A child of the harness must not outlive it. The harness stops its children in order on every
# way out it can see (an exception, Ctrl-C, SIGTERM), but SIGKILL - or the OOM killer - leaves it
# no way out to see, and the server and driver processes would run on. On Linux the kernel can
# stand in: PR_SET_PDEATHSIG asks it to send the child a signal when the child's parent dies.
#
# Rules of this file: `die_with_parent` runs in the child and never raises; elsewhere than Linux
# it does nothing (a child of a killed harness then ends only by its own bounds). It may run
# between fork and exec of a parent that has threads (the sampler, the progress display), so it
# takes no lock: libc's `prctl` is looked up here, at import time in the parent, and the child
# only calls it. Note that the kernel's "parent" is the thread that forked the child - start
# children from a thread that lives as long as they should (the harness uses its main thread).
"""`die_with_parent`: a child asks to be sent SIGTERM when its parent dies (Linux)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1
"""prctl option: the signal the kernel sends this process when its parent dies (<linux/prctl.h>)."""


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the symbols of this process: libc's among them
    except OSError:
        return None
    prctl: Callable[..., int] | None = getattr(libc, "prctl", None)
    return prctl


_prctl = _load_prctl()


def die_with_parent(parent_pid: int | None = None, sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel to send this process `sig` when its parent dies (Linux; elsewhere a no-op).

    The request survives exec, so it can be made in a `preexec_fn` for the program to come.

    Args:
        parent_pid: the parent's pid, taken before the fork. If the parent has died already, the
            signal will never come, so the process ends here at once, as the signal would have
            ended it (`os._exit`: nothing of the forked parent's cleanup runs in the child).
        sig: the signal; SIGTERM lets a server finish in-flight work and stop its own children.

    Returns:
        True if the request is in place.
    """
    if _prctl is None:
        return False
    # prctl is variadic: pass its further arguments as the unsigned longs it reads.
    args = (ctypes.c_ulong(sig), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    if _prctl(PR_SET_PDEATHSIG, *args) != 0:
        return False
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(128 + sig)
    return True
