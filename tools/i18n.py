"""Build and maintain the book's translated editions (Sphinx gettext, one source).

    python tools/i18n.py extract               # message templates (.pot) -> _build/gettext/
    python tools/i18n.py update zh_CN [es ...] # extract, then merge into locale/<lang>/LC_MESSAGES
    python tools/i18n.py update zh_CN --only chapters/03_weight_scale   # one catalog only
    python tools/i18n.py build zh_CN           # the Chinese edition -> _build/html/zh_CN/

``update`` has msgmerge semantics (sphinx-intl, i.e. babel's ``Catalog.update``): a new message
arrives untranslated, a changed one keeps its old translation marked ``fuzzy`` (to be checked
and the flag removed), a removed one becomes obsolete (``#~``). ``build`` renders the committed
notebooks exactly as the English build does (execution is off in _config.yml); it works in
``_build/i18n/<lang>/`` (doctrees, the notebooks' extracted outputs) and then places the HTML at
``_build/html/<lang>/`` next to the English site, where the language links expect it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
LOCALE = ROOT / "locale"
IMAGE_MIMES = ("image/svg+xml", "image/png", "image/jpeg", "image/gif")
# A jieba user dictionary (one word a line): words that the search index must keep whole.
SEARCH_WORDS = "search-words.txt"


def _sphinx(
    builder: str, outdir: Path, doctrees: Path, overrides: dict, strict: bool, quiet: bool = False
) -> int:
    from jupyter_book.sphinx import build_sphinx

    config = {
        "external_toc_path": (ROOT / "_toc.yml").as_posix(),
        "latex_individualpages": False,
        **overrides,
    }
    if strict:
        config["nitpicky"] = True
    result = build_sphinx(
        ROOT,
        outdir,
        noconfig=True,
        path_config=str(ROOT / "_config.yml"),
        confoverrides=config,
        doctreedir=doctrees,
        builder=builder,
        warningiserror=strict,
        keep_going=True,
        freshenv=True,
        quiet=quiet,
    )
    if isinstance(result, Exception):
        raise result
    return int(result)


def extract(out: Path) -> int:
    """Write one .pot per document (notebook markdown cells included) under ``out``."""
    shutil.rmtree(out, ignore_errors=True)
    # myst-nb renders a notebook output for the gettext builder as text; make it keep the
    # images instead, so that their alt texts (cell metadata mystnb.image.alt) are extracted too.
    images = [("gettext", mime, rank) for rank, mime in enumerate(IMAGE_MIMES, start=1)]
    # No "#: file:line" comments: they would change with every edit above a message, and the
    # catalog lists its messages in the document's order anyway.
    overrides = {"nb_mime_priority_overrides": images, "gettext_location": False}
    with tempfile.TemporaryDirectory(prefix="i18n-gettext-") as work:  # private: runs may overlap
        rc = _sphinx("gettext", out, Path(work) / ".doctrees", overrides, False, quiet=True)
    # The strings of the theme templates (sphinx.pot) are translated by hand in
    # locale/<lang>/LC_MESSAGES/sphinx.po, with the config strings; never merge them.
    (out / "sphinx.pot").unlink(missing_ok=True)
    return rc


def update(languages: list[str], pot: Path | None, only: list[str]) -> int:
    """Extract, then merge into the catalogs (all, or only the documents named in ``only``)."""
    with tempfile.TemporaryDirectory(prefix="i18n-pot-") as tmp:
        pot = pot or Path(tmp) / "gettext"
        rc = extract(pot)
        if rc:
            return rc
        if only:  # a folder with just those templates, so that sphinx-intl touches just them
            chosen = Path(tmp) / "chosen"
            for doc in only:
                name = doc.removesuffix(".ipynb").removesuffix(".md").removesuffix(".po")
                src = pot / f"{name}.pot"
                if not src.is_file():
                    print(f"no document {name!r} (no {src.name} extracted)", file=sys.stderr)
                    return 2
                (chosen / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(src, chosen / f"{name}.pot")
            pot = chosen
        for lang in languages:
            merge(pot, LOCALE, lang)
    return 0


def merge(pot: Path, locale: Path, lang: str) -> None:
    """Merge every template under ``pot`` into ``locale/<lang>/LC_MESSAGES`` (sphinx-intl)."""
    cmd = [sys.executable, "-m", "sphinx_intl", "update", "-p", str(pot)]
    cmd += ["-d", str(locale), "-l", lang, "-w", "0"]
    subprocess.run(cmd, check=True, cwd=ROOT)
    for template in sorted(pot.rglob("*.pot")):
        po = locale / lang / "LC_MESSAGES" / template.relative_to(pot).with_suffix(".po")
        n = prefill(po) if po.is_file() else 0  # also drops stale "#:" comments
        if n:
            print(f"{po}: {n} message(s) with nothing to translate copied")


def prefill(po: Path) -> int:
    """Copy each untranslated or fuzzy message that has nothing to translate (display math, a
    table cell of only math or code), and drop "#: file:line" comments left by older extractions;
    returns how many messages were copied."""
    from babel.messages.pofile import read_po, write_po

    sys.path.insert(0, str(ROOT / "tools"))
    from i18n_check import needs_no_translation

    with po.open("rb") as fh:
        catalog = read_po(fh)
    copied = 0
    located = False
    for msg in catalog:
        located = located or bool(msg.locations)
        msg.locations = []
        if msg.id and needs_no_translation(str(msg.id)) and (not msg.string or msg.fuzzy):
            msg.string = msg.id  # a fuzzy guess from a similar message is no use here
            msg.flags.discard("fuzzy")
            copied += 1
    if copied or located:
        with po.open("wb") as fh:
            write_po(fh, catalog, width=0)
    return copied


def build(lang: str, dest: Path, strict: bool, work: Path | None = None) -> int:
    work = work or BUILD / "i18n" / lang
    shutil.rmtree(work, ignore_errors=True)
    overrides = {"language": lang}
    if lang.startswith("zh"):
        overrides["html_search_language"] = "zh"  # jieba segments Chinese for the index
    words = LOCALE / lang / SEARCH_WORDS
    if words.is_file():  # the book's terms, so that the index holds 反向传播 and not only 反向
        overrides["html_search_options"] = {"dict": str(words)}
    start = time.monotonic()
    rc = _sphinx("html", work / "html", work / ".doctrees", overrides, strict=strict)
    if rc == 0:
        shutil.rmtree(dest, ignore_errors=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(work / "html"), dest)
        print(f"The {lang} edition is at: file://{dest}/index.html", flush=True)
    print(f"{lang} build: {time.monotonic() - start:.0f} s, exit {rc}", flush=True)
    return rc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("extract", help="write .pot templates")
    p.add_argument("--out", type=Path, default=BUILD / "gettext")
    p = sub.add_parser("update", help="extract and merge into locale/<lang>/LC_MESSAGES/*.po")
    p.add_argument("languages", nargs="+")
    p.add_argument("--pot", type=Path, default=None, help="keep the .pot files here")
    p.add_argument(
        "--only", action="append", default=[], help="only this document (chapters/03_weight_scale)"
    )
    p = sub.add_parser("build", help="build one translated edition")
    p.add_argument("language")
    p.add_argument("--out", type=Path, default=None, help="default: _build/html/<lang>")
    p.add_argument("--strict", action="store_true", help="-W -n: warnings are errors")
    p.add_argument("--work", type=Path, default=None, help="default: _build/i18n/<lang>")
    args = parser.parse_args(argv)
    if args.cmd == "extract":
        return extract(args.out.resolve())
    if args.cmd == "update":
        return update(args.languages, args.pot.resolve() if args.pot else None, args.only)
    dest = (args.out or BUILD / "html" / args.language).resolve()
    work = args.work.resolve() if args.work else None
    return build(args.language, dest, args.strict, work)


if __name__ == "__main__":
    sys.exit(main())
