# Fuzz target 3: the echo codec (`EchoConnection`, RFC 862).
"""`python -m fuzz.echo [libFuzzer options] [corpus dirs]`."""

from __future__ import annotations

from fuzz._atheris import fuzz, load_atheris

with load_atheris().instrument_imports(include=["impls"]):
    from fuzz.invariants import check_echo


def main() -> None:
    fuzz(check_echo)


if __name__ == "__main__":
    main()
