"""Assert hygiene of the chapters, checked without executing them (part of ``make lint``).

For every notebook it counts the asserted checks and reports them, and it fails on:

- an output line that is, or ends in, a bare ``True``/``False`` (a comparison printed instead
  of the magnitude it tested: print ``f"{err:.0e}"`` and assert it);
- a literal seed in code: ``default_rng(`` or ``seed=<digits>`` / ``random_state=<digits>``
  (every draw derives from the root seed through ``nnbook.seeding``);
- ``--nbval-lax`` anywhere, or an nbval marker (comment or tag) without a comment line in the
  same cell saying why its output cannot be compared.

    .venv/bin/python tools/nblint.py chapters/*.ipynb
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION")
MARKER_TAGS = ("nbval-ignore-output", "nbval-skip", "raises-exception")
#: A printed line that is a bare boolean, or a label followed by one ("rel. < 1e-12: True").
BARE_BOOL = re.compile(r"(^|[:=]\s*|\s)(True|False)\s*[.,;)]?\s*$")
LITERAL_SEED = re.compile(r"default_rng\(|\b(seed|random_state)\s*=\s*\d")


@dataclass
class Report:
    path: Path
    asserts: int = 0
    bools: int = 0
    problems: list[str] = field(default_factory=list)


def _text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    return "".join(output.get("data", {}).get("text/plain", ""))


def _count_asserts(src: str) -> int:
    body = "\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(body)
    except SyntaxError:
        return len(re.findall(r"^\s*assert\b", src, re.M))
    calls = sum(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr.startswith("assert_")
        for n in ast.walk(tree)
    )
    return sum(isinstance(n, ast.Assert) for n in ast.walk(tree)) + calls


def lint(path: Path) -> Report:
    report = Report(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(nb.get("cells", [])):
        src = "".join(cell.get("source", ""))
        if "nbval-lax" in src:
            report.problems.append(f"cell {index}: mentions --nbval-lax")
        if cell.get("cell_type") != "code":
            continue
        report.asserts += _count_asserts(src)
        for match in LITERAL_SEED.finditer(src):
            line = src[: match.start()].count("\n") + 1
            report.problems.append(
                f"cell {index} line {line}: literal seed {match.group(0)!r} "
                "(derive it from nnbook.seeding.chapter_seeds)"
            )
        tags = cell.get("metadata", {}).get("tags", [])
        marked = [m for m in MARKERS if m in src] + [t for t in tags if t in MARKER_TAGS]
        comments = [
            ln for ln in src.splitlines() if ln.lstrip().startswith("#") and "NBVAL" not in ln
        ]
        if marked and not comments:
            report.problems.append(
                f"cell {index}: nbval marker {marked} without a comment saying why"
            )
        for output in cell.get("outputs", []):
            for line in _text(output).splitlines():
                if BARE_BOOL.search(line):
                    report.bools += 1
                    report.problems.append(
                        f"cell {index}: bare boolean output {line.strip()[:60]!r} "
                        "(print the magnitude tested and assert it)"
                    )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    failed = 0
    for path in args.notebooks:
        report = lint(path)
        status = "ok" if not report.problems else f"{len(report.problems)} problem(s)"
        print(f"nblint: {path}: {report.asserts} asserts, {report.bools} bare booleans: {status}")
        for problem in report.problems:
            print(f"  {problem}")
        failed += bool(report.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
