# C10K needs ~10,000 descriptors on each side; the default soft limit is often 1024.
"""Raising the open-file limit, and saying clearly when a run needs more than it can get."""

from __future__ import annotations

import resource


def raise_open_file_limit() -> tuple[int, int]:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit.

    Returns:
        (soft, hard) after the change.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft, hard


FDS_RESERVED = 64
"""Descriptors a driver process needs besides its connections (pipes, epoll, stdio, imports)."""


def check_connections(connections: int, idle: int = 0) -> None:
    """Fail before a run whose connections - measured and idle - cannot fit under the open-file
    limit.

    Raises:
        OSError: with the limit and what to do about it.
    """
    soft, hard = raise_open_file_limit()
    needed = connections + idle + FDS_RESERVED
    if needed > soft:
        what = f"{connections} connections" + (f" and {idle} idle connections" if idle else "")
        raise OSError(
            f"{what} need about {needed} open files, but this process may open {soft} "
            f"(hard limit {hard}): raise it with `ulimit -n` or use more --driver-procs"
        )
