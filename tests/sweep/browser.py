"""The migrate tests' headless Chromium helpers, loaded by path (``tests`` itself is not a package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "keyshift_tests_chromium", Path(__file__).resolve().parents[1] / "migrate" / "chromium.py"
)
assert _spec is not None and _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

dump_dom = _module.dump_dom
screenshot = _module.screenshot
