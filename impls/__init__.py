"""netmodels server implementations: one service, several network programming models.

One folder per model, read in teaching order: `threads/`, `eventloop/dispatch/`,
`eventloop/callbacks/`, `function/`, `actor/` (each `__init__.py` says what to read first).

Shared by all of them, each written once:
- `protocol/`: the sans-I/O layer (codecs, request rules, routes);
- `config.py` (`ServerConfig`), `contract.py` (`ServeFunction`, `Listening`), `stats.py`;
- `sockets.py`, `offload.py`, `osutil.py` (selector by name, wake-up pair, stop signals, EMFILE),
  `accepting.py` (admission at accept);
- `transport.py` and `aioserver.py`: the half the two asyncio-based impls share.

`registry.py` is the table of impls for the CLI, the harness and the tests; no impl imports it.
"""
