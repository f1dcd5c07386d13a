"""`eventloop`: one thread, one selector, explicit dispatch with `match` (Rust mio style).

Read in this order:

1. `loop.py`: `serve` and `EventLoop` - `run` polls, `_dispatch` matches each event kind to its
   handler; the rest of the file is those handlers (accept, read, serve, write, close).
2. `kinds.py`: every event the loop can see, one small class each: the complete list of what
   can happen to the server.
3. `conn.py`: one connection's state - its socket, the sans-I/O protocol, the output buffer and
   the selector interest it wants.
4. `timers.py`: the timer heap whose earliest deadline is `select()`'s timeout.
5. `wakeup.py`: the self-pipe trick - how a pool thread or a signal handler posts an event to a
   loop asleep in `select()`.
"""

from impls.eventloop.dispatch.loop import EventLoop, serve

__all__ = ["EventLoop", "serve"]
