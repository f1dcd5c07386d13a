"""The event loop, twice: one thread serves every connection, woken by readiness.

Two impls, one room each, the same lesson from two sides:

- `dispatch/` (`eventloop`): the loop written out by hand - a selector, a timer heap, a wake-up
  socket, and one `match` over every kind of event (Rust's mio). Read it first: it shows what a
  loop library does for you.
- `callbacks/` (`eventloop-callbacks`): the same server in callback style on asyncio's
  Protocol/Transport layer, on uvloop or the stock loop (libuv, Twisted). Nobody calls recv() or
  select(); the loop calls us.

Both serve through the shared sans-I/O layer (`impls.protocol`); the accept-time admission of
`dispatch` is `impls.accepting`, the bookkeeping of `callbacks` is `impls.aioserver`, shared
with the function binding.
"""
