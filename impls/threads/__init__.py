"""Thread-per-connection baseline."""
