# Fuzz target 2: the shared HTTP connection with the h11 backend.
#
# Every input runs through both backends (`check_http`: each one's invariants, then their
# agreement); what differs between the two HTTP targets is the code whose coverage steers the
# fuzzer. Here it is the whole protocol layer - `StrictFraming` (_framing.py) above all - and h11.
"""`python -m fuzz.http_h11 [libFuzzer options] [corpus dirs]`."""

from __future__ import annotations

from fuzz._atheris import fuzz, load_atheris

with load_atheris().instrument_imports(include=["impls", "h11"]):
    from fuzz.invariants import check_http


def main() -> None:
    fuzz(check_http)


if __name__ == "__main__":
    main()
