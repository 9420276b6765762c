"""The generated two-band word kernel (core/crystal/_wordkernel.py) is current.

The generator is scripts/generate_crystal_words.py (``make generate``); it is run here in memory
and its text compared with the committed file, so a change of the word expansion without
regenerating fails. The physics of the kernel (it equals the table-driven loop over the same
entries) is tested in test_crystal_susceptibility.py.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_crystal_words", ROOT / "scripts" / "generate_crystal_words.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_word_kernel_is_what_the_generator_writes() -> None:
    gen = _generator()
    committed = (ROOT / gen.TARGET).read_text()
    assert committed == gen.kernel_source(), "run `make generate` and commit the result"


def test_core_holds_no_generator() -> None:
    import core.crystal.susceptibility as sus

    assert not hasattr(sus, "kernel_source") and not hasattr(sus, "write_kernel")
