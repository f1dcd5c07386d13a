"""netmodels server implementations: one service, several network programming models.

`impls.protocol` is the shared sans-I/O layer; `impls.config`, `impls.registry`, `impls.stats`
and the small I/O helpers (`sockets`, `offload`, `admin`) are shared by every impl folder.
"""
