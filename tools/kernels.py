"""Pick the OpenBLAS kernels for the kernel lane: ones that differ from this CPU's default.

``OPENBLAS_CORETYPE`` selects the code path (kernel) that OpenBLAS would pick on another CPU.
The kernel lane must test kernels *other* than the machine's own, and each must really be
selected (OpenBLAS ignores a name it does not know). This prints the first ``--count`` of the
candidates that OpenBLAS reports as selected and that differ from the default, for the Makefile:

    .venv/bin/python tools/kernels.py Haswell Sandybridge Nehalem --count 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

_PROBE = (
    "import json, numpy, threadpoolctl;"
    "print(json.dumps([i.get('architecture') for i in threadpoolctl.threadpool_info()"
    " if i.get('internal_api') == 'openblas']))"
)


def architecture(coretype: str | None) -> str | None:
    """The kernel numpy's OpenBLAS runs with ``OPENBLAS_CORETYPE=coretype`` (None: default)."""
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    archs = json.loads(out.stdout)
    return archs[0] if archs else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidates", nargs="+")
    parser.add_argument("--count", type=int, default=2)
    args = parser.parse_args(argv)
    default = architecture(None)
    chosen = []
    for name in args.candidates:
        got = architecture(name)
        if got is not None and got.lower() == name.lower() and got != default:
            chosen.append(name)
        if len(chosen) == args.count:
            break
    print(f"kernel lane: default kernel {default}; testing {' '.join(chosen)}", file=sys.stderr)
    if len(chosen) < args.count:
        print(f"kernel lane: only {chosen} differ from {default}", file=sys.stderr)
        return 1
    print(" ".join(chosen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
