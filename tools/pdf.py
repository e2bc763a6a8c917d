"""`make pdf`: the whole book as one PDF, ``_build/pdf/from-zero.pdf``, made offline.

1. Jupyter Book's ``singlehtml`` builder writes the book as one page (``_build/singlehtml``),
   with the committed outputs (nothing is executed) and MathJax served from the build.
2. Headless Chromium (the system package, driven by Playwright) opens that page from disk,
   waits until MathJax has typeset every equation and every figure has loaded, opens the
   exercise solutions (a printed book cannot click), adds a table of contents with page
   numbers, starts each chapter on a new page, and prints it with the print rules of
   ``_ext/static/nnbook.css``. The PDF also gets an outline (bookmarks) of the headings.

The table of contents is made in two passes: the first print tells on which page each chapter
starts (pypdf reads the PDF's outline back), the second prints the numbers. tests/test_pdf.py
checks the result: every chapter title in the text, no raw TeX, every figure embedded, a
plausible length.

    .venv/bin/python tools/pdf.py [--path-output DIR] [--no-build]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PDF_NAME = "from-zero.pdf"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-file-access-from-files",
]
SKIPPED = """
******************************************************************************************
*  browser test skipped: Chromium not found, so neither the site's browser test nor the  *
*  PDF edition was checked. Install Debian's package (`sudo apt-get install chromium`)   *
*  or set CHROMIUM_PATH, then run `make browser pdf-check`. (Under CI=true they fail.)   *
******************************************************************************************"""
FOOTER = (
    '<div style="width:100%;font-size:8pt;color:#555;text-align:center;">'
    '<span class="pageNumber"></span></div>'
)


def chromium() -> str | None:
    """The system Chromium (``CHROMIUM_PATH`` overrides), or None."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _title(path: Path) -> str:
    """A document's title: its first ``# `` heading, markup stripped."""
    if path.suffix == ".ipynb":
        import nbformat

        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("# "):
            return re.sub(r"[`*_]", "", line[2:]).strip()
    raise ValueError(f"{path}: no '# ' title")


def toc_entries(root: Path = ROOT) -> list[dict[str, object]]:
    """The book's documents in order: file, title, part caption, and whether it is numbered.

    Read from ``_toc.yml`` (the same table of contents as the HTML); the root page first.
    """
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))

    def find(stem: str) -> Path:
        for ext in (".ipynb", ".md"):
            if (root / f"{stem}{ext}").is_file():
                return root / f"{stem}{ext}"
        raise FileNotFoundError(stem)

    out: list[dict[str, object]] = [
        {"file": toc["root"], "title": _title(find(toc["root"])), "part": "", "numbered": False}
    ]
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            out.append(
                {
                    "file": ch["file"],
                    "title": _title(find(ch["file"])),
                    "part": part.get("caption", ""),
                    "numbered": bool(part.get("numbered")),
                }
            )
    return out


def build_singlehtml(path_output: Path) -> Path:
    """Run Jupyter Book's singlehtml builder; return the folder with ``intro.html``."""
    cmd = [
        str(Path(sys.executable).with_name("jupyter-book")),
        "build",
        str(ROOT),
        "--builder",
        "singlehtml",
        "-W",
        "-n",
        "--keep-going",
        "--path-output",
        str(path_output),
    ]
    if subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL).returncode != 0:
        raise SystemExit("the single-page build failed (warnings are errors: see above)")
    return path_output / "_build" / "singlehtml"


# Runs in the page before printing: wait for MathJax and the images, open the solutions, mark
# each document's section (a page break before each chapter) and insert the contents.
PREPARE_JS = """async (entries) => {
  if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
  for (const img of document.images) { img.loading = 'eager'; }
  await Promise.all([...document.images].map((img) => img.complete ? null :
      new Promise((r) => { img.onload = r; img.onerror = r; })));
  document.querySelectorAll('.solution.dropdown, .toggle-hidden').forEach((el) => {
    el.classList.remove('toggle-hidden');
  });
  document.querySelectorAll('button.toggle-button').forEach((b) => b.remove());
  const nav = document.createElement('nav');
  nav.className = 'nnbook-pdf-toc';
  nav.innerHTML = '<h2>Contents</h2>';
  let list = null, part = null;
  const found = [];
  entries.forEach((e, i) => {
    const mark = document.getElementById('document-' + e.file);
    const sec = i === 0 ? document.querySelector('#print-main-content section, article section')
                        : mark && mark.nextElementSibling;
    if (!sec) { return; }
    if (i > 0) { sec.classList.add('nnbook-chapter'); }
    const h = sec.querySelector('h1, h2');
    const num = h && h.querySelector('.section-number');
    if (e.part !== part) {
      part = e.part;
      if (part) { const p = document.createElement('p'); p.className = 'part';
                  p.textContent = part; nav.appendChild(p); }
      list = document.createElement('ul'); nav.appendChild(list);
    }
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = '#' + sec.id;
    a.textContent = (num ? num.textContent : '') + e.title;
    const page = document.createElement('span');
    page.className = 'page';
    page.textContent = '';
    li.appendChild(a); li.appendChild(page); list.appendChild(li);
    found.push(e.file);
  });
  const first = document.querySelector('#print-main-content section, article section');
  const h1 = first.querySelector('h1');
  h1.after(nav);
  return found;
}"""


def _pdf(page, out: Path) -> None:
    page.pdf(
        path=str(out),
        format="A4",
        margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
        print_background=True,
        display_header_footer=True,
        header_template="<span></span>",
        footer_template=FOOTER,
        outline=True,
        tagged=True,
    )


# Second pass: the page numbers into the contents (one span per entry, in order).
NUMBERS_JS = """(pages) => {
  const spans = document.querySelectorAll('nav.nnbook-pdf-toc span.page');
  spans.forEach((s, i) => { s.textContent = pages[i] ? String(pages[i]) : ''; });
  return spans.length;
}"""


def _print(page_html: Path, out: Path, entries: list[dict[str, object]], exe: str) -> list[str]:
    """Print twice in one browser session: the second time with the contents' page numbers."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(page_html.as_uri(), wait_until="load")
        page.emulate_media(media="print")
        found = page.evaluate(PREPARE_JS, entries)
        _pdf(page, out)
        if len(found) == len(entries):
            starts = start_pages(out, [str(e["title"]) for e in entries[1:]])
            n = page.evaluate(NUMBERS_JS, [1, *starts])
            if n != len(entries):
                raise SystemExit(f"contents has {n} entries, the book {len(entries)}")
            _pdf(page, out)
        browser.close()
    return found


def _norm(text: str) -> str:
    """Text without whitespace (a PDF's text drops or adds spaces where a heading wraps) and
    without ligatures ("ﬁ" -> "fi")."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def start_pages(pdf: Path, titles: list[str]) -> list[int | None]:
    """The 1-based page on which each title starts, from the PDF's outline (its headings)."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    heads: list[tuple[str, int]] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                heads.append((_norm(item.title), reader.get_destination_page_number(item) + 1))

    walk(reader.outline)
    pages: list[int | None] = []
    at = 0  # documents come in order: search each title after the previous one's heading
    for title in titles:
        want = _norm(title)
        for k in range(at, len(heads)):
            t = heads[k][0]
            if t == want or re.sub(r"^[\d.]+", "", t) == want:
                pages.append(heads[k][1])
                at = k + 1
                break
        else:
            pages.append(None)
    return pages


def make_pdf(path_output: Path, build: bool = True) -> Path:
    exe = chromium()
    if exe is None:
        raise SystemExit(
            "Chromium not found: install Debian's package (`sudo apt-get install chromium`) "
            "or set CHROMIUM_PATH; the PDF is printed by it"
        )
    t0 = time.monotonic()
    site = build_singlehtml(path_output) if build else path_output / "_build" / "singlehtml"
    page_html = site / "intro.html"
    if not page_html.is_file():
        raise SystemExit(f"no single-page build at {page_html}")
    out_dir = path_output / "_build" / "pdf"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / PDF_NAME
    entries = toc_entries()
    found = _print(page_html, out, entries, exe)
    missing = [e["file"] for e in entries if e["file"] not in found]
    if missing:
        raise SystemExit(f"documents not found in the single page: {missing}")
    print(f"PDF written: {out} ({out.stat().st_size / 1e6:.1f} MB, {time.monotonic() - t0:.0f} s)")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--path-output", type=Path, default=ROOT, help="writes DIR/_build/...")
    ap.add_argument("--no-build", action="store_true", help="reuse DIR/_build/singlehtml")
    ap.add_argument(
        "--if-chromium", action="store_true", help="without Chromium, do nothing (exit 0)"
    )
    ap.add_argument(
        "--skip-note",
        action="store_true",
        help="build nothing; without Chromium, print that the browser checks were skipped",
    )
    args = ap.parse_args(argv)
    if args.skip_note:
        if chromium() is None:
            print(SKIPPED)
        return 0
    if args.if_chromium and chromium() is None:
        return 0
    make_pdf(args.path_output.resolve(), build=not args.no_build)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
