"""Thread-per-connection baseline: blocking sockets, one thread for each connection.

The model event loops replaced, written so each file holds one idea. Read in this order:

- `server.py`: `serve(config, ready)` and `ThreadServer` - start, statistics, graceful stop.
- `acceptor.py`: the accept loop; admission at `max_connections`; surviving EMFILE.
- `connection.py`: `ConnectionThread`, the per-connection loop (recv, answer, timeouts, close).
- `blocking.py`: blocking send with bounded stalls, and the lingering close.
- `compute.py`: /work inline or in the offload pool, waited for by the connection's thread.
- `tally.py`: counters, admission and live connections shared by all threads, under one lock.

How the main thread waits for SIGINT/SIGTERM while other threads work (`StopSignals`), and the
spare descriptor that survives EMFILE, are shared with the actor impl: `impls/osutil.py`.
"""
