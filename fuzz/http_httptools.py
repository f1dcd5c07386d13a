# Fuzz target 1: the shared HTTP connection with the httptools (llhttp) backend.
#
# Every input runs through both backends (`check_http`: each one's invariants, then their
# agreement); what differs between the two HTTP targets is the code whose coverage steers the
# fuzzer. Here it is the connection, the rules and the llhttp callbacks - llhttp itself is C
# built without coverage hooks, so libFuzzer sees it only through the callbacks it makes.
"""`python -m fuzz.http_httptools [libFuzzer options] [corpus dirs]`."""

from __future__ import annotations

from fuzz._atheris import fuzz, load_atheris

# atheris instruments whole top-level packages less the modules excluded by exact name:
# _parsers.py holds both backends, so the h11 one's callbacks steer a little here too.
with load_atheris().instrument_imports(include=["impls"], exclude=["impls.protocol._framing"]):
    from fuzz.invariants import check_http


def main() -> None:
    fuzz(check_http)


if __name__ == "__main__":
    main()
