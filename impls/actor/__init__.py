# The actor impl: a general actor runtime (`runtime/`) and, beside it in this folder, the socket
# server built on it - Akka IO's design: two I/O threads own the sockets, actors own the decisions.
#
# Rules of this package: the server imports the runtime only through `impls.actor.runtime`'s
# public surface, and the runtime imports nothing of the server. The registry names the entry
# point, `impls.actor.server:serve`; this `__init__` exports nothing, so importing the runtime
# does not import the server.
"""Actor model: the runtime in `impls/actor/runtime/`, the socket server beside it.

Read first: `runtime/` (its `__init__` gives the order: `actor.py`, `ref.py`, `mailbox.py`, ...),
then the server as the lecture integrates the runtime with sockets:

- `connection.py`: one actor per connection - its states (`reading`, `awaiting_handler`,
  `throttled`, `closing`) and the messages they handle. The lecture's central file.
- `messages.py`: the vocabulary between actors and the I/O threads (Akka IO's Write/Ack, ...).
- `listener.py`: the actor that decides which accepted sockets to keep, and supervises.
- `link.py`: one connection as the three parties sharing it see it; `codec.py`: parse/encode.
- `iothread.py`, `receiver.py` (the receiving thread), `sender.py` (the sending thread).
- `services.py`: what the actors share; `alarm.py`: the connection's lazily re-armed timer.
- `server.py`: `serve` and `ActorServer`, the wiring and the process contract.

`docs/actor.md` walks through it.
"""
