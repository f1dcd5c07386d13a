"""Tests of the shared sans-I/O protocol layer (`impls.protocol`), over both parser backends."""
