# The conformance suite: every registered impl, checked over real sockets (see README.md).
