"""Event-loop servers: explicit dispatch (`dispatch`) and callbacks (`callbacks`)."""
