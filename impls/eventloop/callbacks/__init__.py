"""`eventloop-callbacks`: asyncio Protocol/Transport callbacks on uvloop or the stock loop.

Read in this order:

1. `protocol.py`: `ConnectionProtocol`, one connection's callbacks - the loop calls
   `buffer_updated`, a timer, a pool's done-callback; each does its bit and returns.
2. `server.py`: `CallbackServer`, what the connections share, and the graceful stop.
3. `loop.py`: `serve` - make the loop, listen, wire the signals, run until stopped.

The transport side of a connection (receive buffer, watermarks, timeouts, half-close) is
`impls.transport.SansIOProtocol`, shared with the function binding; compare `dispatch/`, where
the same work is written out as explicit events.
"""

from impls.eventloop.callbacks.loop import serve

__all__ = ["serve"]
