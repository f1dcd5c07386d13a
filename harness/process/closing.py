# `with thing:` closes the thing on the way out - written once here for every class of the
# harness (and its tests) that owns a process, a socket or a thread and has a `close`.
#
# Rules of this file: `__exit__` only calls `close` and never swallows the exception; `close`
# must be idempotent, as a `with` block may close early and the exit close again.
"""`Closing`: a mixin that makes a class with `close()` a context manager."""

from __future__ import annotations

from typing import Self


class Closing:
    """Mixin: `with obj:` returns `obj` and calls `obj.close()` on every way out."""

    def close(self) -> None:
        """Release what the object holds (idempotent); subclasses define it."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
