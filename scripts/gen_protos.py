"""Generate Python code and the Envoy descriptor set from protos/obsai/v1.

Run with `make protos`. With `--check`, regenerate into a temporary directory and
fail if the committed output differs, so stale generated code cannot land.
"""

from __future__ import annotations

import argparse
import filecmp
import importlib.resources
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PYTHON_OUT = PROTO_ROOT / "gen"
DESCRIPTOR_OUT = ROOT / "services" / "gateway" / "generated" / "obsai.pb"


def _include_paths() -> list[str]:
    grpc_tools_protos = importlib.resources.files("grpc_tools") / "_proto"
    # googleapis-common-protos ships google/api/*.proto beside its modules.
    import google.api.annotations_pb2 as annotations

    googleapis_root = Path(annotations.__file__).resolve().parent.parent.parent
    return [str(PROTO_ROOT), str(grpc_tools_protos), str(googleapis_root)]


def _sources() -> list[str]:
    return sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / "obsai").rglob("*.proto"))


def _run_protoc(args: list[str]) -> None:
    argv = ["protoc", *(f"-I{p}" for p in _include_paths()), *args, *_sources()]
    if protoc.main(argv) != 0:
        raise SystemExit(f"protoc failed: {' '.join(argv)}")


def generate(python_out: Path, descriptor_out: Path) -> None:
    (python_out / "obsai" / "v1").mkdir(parents=True, exist_ok=True)
    descriptor_out.parent.mkdir(parents=True, exist_ok=True)
    for package in (python_out / "obsai", python_out / "obsai" / "v1"):
        (package / "__init__.py").touch()
    (python_out / "obsai" / "py.typed").touch()  # the .pyi stubs type the messages
    _run_protoc(
        [f"--python_out={python_out}", f"--pyi_out={python_out}", f"--grpc_python_out={python_out}"]
    )
    # The gateway's transcoder needs every import and the http options.
    _run_protoc(
        [
            f"--descriptor_set_out={descriptor_out}",
            "--include_imports",
            "--include_source_info",
            # google.rpc.Status must be known for convert_grpc_status.
            *(["google/rpc/status.proto", "google/rpc/error_details.proto"]),
        ]
    )


def _diff(expected: Path, actual: Path) -> list[str]:
    comparison = filecmp.dircmp(expected, actual, ignore=["__pycache__"])
    stale: list[str] = []

    def walk(cmp: filecmp.dircmp[str], prefix: str) -> None:
        stale.extend(prefix + n for n in cmp.left_only + cmp.right_only + cmp.diff_files)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(comparison, "")
    return stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if generated code is stale")
    args = parser.parse_args()
    if not args.check:
        generate(PYTHON_OUT, DESCRIPTOR_OUT)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh / "gen", fresh / "obsai.pb")
        stale = _diff(PYTHON_OUT, fresh / "gen")
        if not filecmp.cmp(DESCRIPTOR_OUT, fresh / "obsai.pb", shallow=False):
            stale.append(str(DESCRIPTOR_OUT.relative_to(ROOT)))
    if stale:
        print("generated code is stale; run `make protos`:", *stale, sep="\n  ", file=sys.stderr)
        return 1
    print("generated code is fresh")
    return 0


if __name__ == "__main__":
    sys.exit(main())
