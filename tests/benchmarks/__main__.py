"""Run every benchmark module (or those named on the command line: `python -m tests.benchmarks lint`)."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import tests.benchmarks as pkg


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    for name in names:
        print(f"== {name}", flush=True)
        importlib.import_module(f"tests.benchmarks.{name}").main()
    over = [r for r in pkg.RESULTS if r[3] is not None and r[1] / r[2] > r[3]]
    print(f"{len(pkg.RESULTS)} figures, {len(over)} over target")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
