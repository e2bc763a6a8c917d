"""Check the translated editions' message catalogs, message by message.

    python tools/i18n_check.py                       # every locale/<lang>/LC_MESSAGES/**/*.po
    python tools/i18n_check.py --extract             # ... and against freshly extracted .pot files
    python tools/i18n_check.py locale/zh_CN/LC_MESSAGES/chapters/02_symmetry.po   # one catalog

A catalog fails when a message is untranslated or fuzzy, or when its translation lost, added or
changed any of the parts that must survive translation byte for byte:

* inline math ``$...$``;
* roles (``{eq}`...```, ``{cite}`...```, ``{numref}`...```, ``{ref}`...```, ``{doc}`...```, ...):
  the role and its target must stay; only an explicit title (``{ref}`title <target>```) may be
  translated, keeping any ``%s`` / ``{number}`` placeholder; a badge (``{bdg-success}`label```,
  any ``bdg-*`` role) is a label for the reader: its role must stay, its label may be translated;
* code literals ``` `...` ```;
* link targets ``[text](target)`` and ``<https://...>``; substitutions ``{{ name }}``.

It also fails on a term the glossary decided against (``locale/<lang>/avoid-terms.txt``: "avoided
preferred" a line, e.g. 随机失活 暂退法) used where the English message does not name it.

A message copied unchanged from an English one of five words or more fails too.
A display-math message (MyST gives its source, which starts with a newline) must be copied
unchanged. With ``--pot`` every message of the current English sources must also be in the
catalog (so an English edit that was not merged with ``make i18n-update`` fails too).
The parts are compared as multisets: Chinese word order may move them, but not drop them.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locale"

# One left-to-right tokenizer, so that a `$` inside code or a backtick inside math is not
# mistaken for a delimiter. Order matters: roles before code, double backticks before single.
TOKEN = re.compile(
    r"(?P<role>\{(?P<rname>[A-Za-z][\w:+-]*)\}(?P<rtick>`+)(?P<rbody>.+?)(?P=rtick))"
    r"|(?P<code>(?P<tick>`+)(?P<cbody>.+?)(?P=tick))"
    r"|(?P<math>(?<![\\$])\$(?!\$)(?P<mbody>(?:\\.|[^$\\])+?)\$(?!\$))"
    r"|(?P<link>\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\))"
    r"|(?P<auto><(?P<url>(?:https?|mailto|file):[^>\s]+)>)"
    r"|(?P<subst>\{\{[^{}]+\}\})",
    re.DOTALL,
)
TITLED = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
# A msgstr identical to an msgid with this many words (outside math, code and roles) is an
# English sentence left untranslated; shorter ones (a name, "tanh, linear") may stay as they are.
WORD = re.compile(r"[A-Za-z]{2,}")
COPY_WORDS = 5
# Per language: terms the glossary decided against, e.g. "随机失活 暂退法".
AVOID_FILE = "avoid-terms.txt"
# Strings of the theme and of _config.yml, translated by hand (no .pot: see _ext/book_i18n.py).
THEME_CATALOG = "sphinx.po"
PLACEHOLDER = re.compile(r"%s|\{number\}|\{name\}")
# Roles whose body is a label shown to the reader, not a target or code (sphinx-design's
# badges, {bdg-success}`parity check`): the translation keeps the role and translates the label.
LABEL_ROLE = re.compile(r"bdg(-[\w-]+)?$")


def spans(text: str) -> Counter[str]:
    """The parts of a message that a translation must keep, as a multiset of strings."""
    found: Counter[str] = Counter()
    for m in TOKEN.finditer(text):
        if m["role"]:
            body = m["rbody"]
            titled = TITLED.match(body)
            if LABEL_ROLE.match(m["rname"]):  # a displayed label: only the role must stay
                found[f"{{{m['rname']}}}`…`"] += 1
            elif titled:  # the title may be translated; target and placeholders may not
                holders = "".join(PLACEHOLDER.findall(titled["title"]))
                found[f"{{{m['rname']}}}<{titled['target']}>{holders}"] += 1
            else:
                found[f"{{{m['rname']}}}`{body}`"] += 1
        elif m["code"]:
            found[f"code `{m['cbody']}`"] += 1
        elif m["math"]:
            found[f"math ${m['mbody']}$"] += 1
        elif m["link"]:
            found[f"link ({m['target']})"] += 1
        elif m["auto"]:
            found[f"link <{m['url']}>"] += 1
        else:
            found[f"substitution {m['subst']}"] += 1
    return found


def is_display_math(msgid: str) -> bool:
    return msgid.startswith("\n")


def needs_no_translation(msgid: str) -> bool:
    """True for display math and for messages with no words outside math, code and roles."""
    if is_display_math(msgid):
        return True
    rest = TOKEN.sub(" ", msgid)
    return not any(ch.isalpha() for ch in rest)


def check_message(msgid: str, msgstr: str, fuzzy: bool) -> list[str]:
    """Problems with one translated message (empty: fine)."""
    if not msgstr:
        return ["untranslated"]
    problems = ["fuzzy (check the translation, then remove the flag)"] if fuzzy else []
    if is_display_math(msgid):
        if msgstr != msgid:
            problems.append("display math must be copied unchanged")
        return problems
    if msgstr == msgid and len(WORD.findall(TOKEN.sub(" ", msgid))) >= COPY_WORDS:
        problems.append("copied unchanged from the English: translate it")
    want, got = spans(msgid), spans(msgstr)
    for part in sorted((want - got).keys()):
        problems.append(f"lost or changed: {part}")
    for part in sorted((got - want).keys()):
        problems.append(f"not in the source: {part}")
    return problems


@dataclass
class Problem:
    path: Path
    line: int
    msgid: str
    what: str

    def __str__(self) -> str:
        short = " ".join(self.msgid.split())
        short = short if len(short) <= 70 else short[:67] + "..."
        return f"{self.path}:{self.line}: {self.what}\n    msgid: {short}"


def _rel(path: Path) -> Path:
    try:
        return path.resolve().relative_to(ROOT)
    except ValueError:
        return path


def avoided_terms(po: Path) -> dict[str, str]:
    """``locale/<lang>/avoid-terms.txt``: lines "avoided preferred" (the glossary's choice)."""
    lc = next((p for p in po.parents if p.name == "LC_MESSAGES"), None)
    path = lc.parent / AVOID_FILE if lc is not None else None
    if path is None or not path.is_file():
        return {}
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) == 2:
            pairs[words[0]] = words[1]
    return pairs


def check_terms(msgid: str, msgstr: str, avoid: dict[str, str]) -> list[str]:
    """A term the glossary decided against, used where the source does not name it."""
    return [
        f"term: use {preferred}, not {avoided} (glossary)"
        for avoided, preferred in avoid.items()
        if avoided in msgstr and avoided not in msgid
    ]


def check_catalog(po: Path, pot: Path | None = None) -> list[Problem]:
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh)
    avoid = avoided_terms(po)
    problems = []
    for msg in catalog:
        if not msg.id:  # the header
            continue
        msgid = msg.id if isinstance(msg.id, str) else msg.id[0]
        msgstr = msg.string if isinstance(msg.string, str) else (msg.string or [""])[0]
        found = check_message(msgid, msgstr or "", msg.fuzzy)
        found += check_terms(msgid, msgstr or "", avoid)
        for what in found:
            problems.append(Problem(_rel(po), msg.lineno or 0, msgid, what))
    if pot is not None:
        with pot.open("rb") as fh:
            template = read_po(fh)
        for msg in template:
            if msg.id and msg.id not in catalog:
                what = "in the English source but not in the catalog: run make i18n-update"
                problems.append(Problem(_rel(po), 0, str(msg.id), what))
    return problems


def catalogs(paths: list[Path]) -> list[Path]:
    if paths:
        return [
            p for path in paths for p in (sorted(path.rglob("*.po")) if path.is_dir() else [path])
        ]
    return sorted(LOCALE.glob("*/LC_MESSAGES/**/*.po"))


def check(paths: list[Path], pot_dir: Path | None) -> list[Problem]:
    problems: list[Problem] = []
    found = catalogs(paths)
    if not found:
        return [Problem(LOCALE, 0, "", "no catalogs found")]
    for po in found:
        pot = None
        if pot_dir is not None and po.name != THEME_CATALOG:
            lc = next(p for p in po.parents if p.name == "LC_MESSAGES")
            pot = pot_dir / po.relative_to(lc).with_suffix(".pot")
            if not pot.is_file():
                problems.append(Problem(_rel(po), 0, "", f"no document for it ({pot} missing)"))
                continue
        problems.extend(check_catalog(po, pot))
    if pot_dir is not None and not paths:
        for lc in sorted(LOCALE.glob("*/LC_MESSAGES")):
            for pot in sorted(pot_dir.rglob("*.pot")):
                po = lc / pot.relative_to(pot_dir).with_suffix(".po")
                if not po.is_file():
                    what = "a document has no catalog: run make i18n-update"
                    problems.append(Problem(_rel(po), 0, "", what))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="catalogs or folders (default: all)")
    parser.add_argument("--pot", type=Path, help="folder of freshly extracted .pot files")
    parser.add_argument(
        "--extract", action="store_true", help="extract the .pot files first (private temp folder)"
    )
    parser.add_argument("--summary", action="store_true", help="counts per catalog only")
    args = parser.parse_args(argv)
    if args.extract:
        import tempfile

        sys.path.insert(0, str(ROOT / "tools"))
        from i18n import extract

        with tempfile.TemporaryDirectory(prefix="i18n-check-") as tmp:
            if extract(Path(tmp)):
                print("i18n-check: extracting the messages failed", file=sys.stderr)
                return 1
            problems = check(args.paths, Path(tmp))
    else:
        problems = check(args.paths, args.pot)
    if args.summary:
        counts = Counter(str(p.path) for p in problems)
        for path, n in sorted(counts.items()):
            print(f"{n:5d}  {path}")
    else:
        for p in problems:
            print(p)
    n_cat = len(catalogs(args.paths))
    if problems:
        print(f"i18n-check: {len(problems)} problem(s) in {n_cat} catalog(s)", file=sys.stderr)
        return 1
    print(f"i18n-check: {n_cat} catalog(s), every message translated and intact")
    return 0


if __name__ == "__main__":
    sys.exit(main())
