"""The translation checker (tools/i18n_check.py) and the language links (_ext/book_i18n.py),
on small synthetic catalogs: each rule fails on the mistake it exists for."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "_ext"))

import book_i18n  # noqa: E402
import i18n  # noqa: E402
import i18n_check  # noqa: E402

CJK = "[\u4e00-\u9fff]{2,}"
SOURCE = (
    "By {eq}`eq-bp-delta` the gradient of $W^{(1)}$ is zero; `nnbook.init` and "
    "[the notation](notation) agree {cite}`he2015delving`."
)
GOOD = (
    "由 {eq}`eq-bp-delta` 可知 $W^{(1)}$ 的梯度为零；"
    "`nnbook.init` 与[符号表](notation)一致 {cite}`he2015delving`。"
)


def _po(path: Path, entries: list[tuple[str, str, bool]], lang: str = "zh_CN") -> Path:
    catalog = Catalog(locale=lang)
    for msgid, msgstr, fuzzy in entries:
        catalog.add(msgid, msgstr, flags=("fuzzy",) if fuzzy else ())
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0)
    return path


def _problems(tmp_path: Path, msgid: str, msgstr: str, fuzzy: bool = False) -> list[str]:
    po = _po(tmp_path / "x.po", [(msgid, msgstr, fuzzy)])
    return [p.what for p in i18n_check.check_catalog(po)]


def test_a_faithful_translation_passes(tmp_path: Path) -> None:
    assert _problems(tmp_path, SOURCE, GOOD) == []


def test_an_english_sentence_copied_unchanged_fails_but_a_name_may_stay(tmp_path: Path) -> None:
    assert _problems(tmp_path, SOURCE, SOURCE) == [
        "copied unchanged from the English: translate it"
    ]
    assert _problems(tmp_path, "tanh, sigmoid, linear", "tanh, sigmoid, linear") == []


def test_untranslated_and_fuzzy_fail(tmp_path: Path) -> None:
    assert _problems(tmp_path, SOURCE, "") == ["untranslated"]
    assert _problems(tmp_path, SOURCE, GOOD, fuzzy=True) == [
        "fuzzy (check the translation, then remove the flag)"
    ]


@pytest.mark.parametrize(
    ("broken", "part"),
    [
        (GOOD.replace("$W^{(1)}$", "$W^{(2)}$"), "math $W^{(1)}$"),  # math changed
        (GOOD.replace("$W^{(1)}$ ", ""), "math $W^{(1)}$"),  # math lost
        (GOOD.replace("eq-bp-delta", "eq-bp-deltas"), "{eq}`eq-bp-delta`"),  # role target
        (GOOD.replace("{cite}`he2015delving`", "(He 等, 2015)"), "{cite}`he2015delving`"),
        (GOOD.replace("`nnbook.init`", "nnbook.init"), "code `nnbook.init`"),  # code lost
        (GOOD.replace("](notation)", "](notation.html)"), "link (notation)"),  # link target
    ],
)
def test_a_lost_or_changed_part_fails(tmp_path: Path, broken: str, part: str) -> None:
    problems = _problems(tmp_path, SOURCE, broken)
    assert f"lost or changed: {part}" in problems


def test_a_part_the_source_does_not_have_fails(tmp_path: Path) -> None:
    problems = _problems(tmp_path, SOURCE, GOOD + " 另见 `nnbook.stats`。")
    assert problems == ["not in the source: code `nnbook.stats`"]


def test_parts_may_move_but_not_multiply(tmp_path: Path) -> None:
    src = "$a$ then $b$"
    assert _problems(tmp_path, src, "先 $b$ 再 $a$") == []
    assert _problems(tmp_path, src, "$a$、$a$ 与 $b$") == ["not in the source: math $a$"]


def test_a_titled_reference_may_translate_its_title_only(tmp_path: Path) -> None:
    src = "See {ref}`the BLAS section <sym-blas>` and {numref}`Figure %s <fig-a>`."
    assert (
        _problems(tmp_path, src, "见{ref}`BLAS 一节 <sym-blas>`和{numref}`图 %s <fig-a>`。") == []
    )
    problems = _problems(tmp_path, src, "见{ref}`BLAS 一节 <sym-bla>`和{numref}`图 <fig-a>`。")
    assert "lost or changed: {ref}<sym-blas>" in problems
    assert "lost or changed: {numref}<fig-a>%s" in problems


def test_a_badge_may_translate_its_label_but_not_lose_its_role(tmp_path: Path) -> None:
    source = "{bdg-primary}`NumPy` {bdg-success}`parity check` The two agree."
    assert (
        _problems(tmp_path, source, "{bdg-primary}`NumPy` {bdg-success}`一致性检验` 两者一致。")
        == []
    )
    assert _problems(tmp_path, source, "{bdg-primary}`NumPy` 一致性检验 两者一致。") == [
        "lost or changed: {bdg-success}`…`"
    ]
    assert _problems(
        tmp_path, source, "{bdg-primary}`NumPy` {bdg-warning}`一致性检验` 两者一致。"
    ) == [
        "lost or changed: {bdg-success}`…`",
        "not in the source: {bdg-warning}`…`",
    ]
    # any other role keeps its body: {eq}`eq-a` is a target, not a label
    assert _problems(tmp_path, "By {eq}`eq-a` it holds.", "由 {eq}`式 a` 可知成立。") != []


def test_a_dollar_inside_code_is_not_math() -> None:
    parts = i18n_check.spans("run `echo $HOME` and $x$")
    assert parts == {"code `echo $HOME`": 1, "math $x$": 1}


def test_display_math_must_be_copied(tmp_path: Path) -> None:
    src = "\nz = a W + b\n"
    assert _problems(tmp_path, src, src) == []
    assert _problems(tmp_path, src, "\nz = aW + b\n") == ["display math must be copied unchanged"]


def test_a_message_missing_from_the_catalog_fails_against_the_pot(tmp_path: Path) -> None:
    lc = tmp_path / "locale" / "zh_CN" / "LC_MESSAGES"
    po = _po(lc / "page.po", [("Old sentence.", "旧句子。", False)])
    pot = _po(
        tmp_path / "pot" / "page.pot", [("Old sentence.", "", False), ("New one.", "", False)]
    )
    problems = i18n_check.check_catalog(po, pot)
    assert [p.what for p in problems] == [
        "in the English source but not in the catalog: run make i18n-update"
    ]
    assert problems[0].msgid == "New one."


def test_main_exits_nonzero_on_a_problem(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    good = _po(tmp_path / "good.po", [(SOURCE, GOOD, False)])
    bad = _po(tmp_path / "bad.po", [(SOURCE, "", False)])
    assert i18n_check.main([str(good)]) == 0
    assert i18n_check.main([str(good), str(bad)]) == 1
    assert "untranslated" in capsys.readouterr().out


def test_prefill_copies_only_what_has_nothing_to_translate(tmp_path: Path) -> None:
    po = _po(
        tmp_path / "p.po",
        [
            ("\n\\delta = f'(z)\n", "", False),
            ("$(N, s_l)$", "", False),
            ("`zeros`", "", False),
            ("—", "", False),
            ("biases only", "", False),
            ("`sparse`", "`sparse(k=15)`", True),  # a fuzzy guess from a similar cell
        ],
    )
    assert i18n.prefill(po) == 5
    with po.open("rb") as fh:
        strings = {m.id: m.string for m in read_po(fh) if m.id}
    assert strings["$(N, s_l)$"] == "$(N, s_l)$"
    assert strings["biases only"] == ""
    assert strings["`sparse`"] == "`sparse`"
    assert i18n_check.check_catalog(po)[0].msgid == "biases only"  # the only problem left


def test_an_english_edit_makes_new_messages_untranslated_and_changed_ones_fuzzy(
    tmp_path: Path,
) -> None:
    lc = tmp_path / "locale" / "zh_CN" / "LC_MESSAGES"
    _po(
        lc / "page.po", [("The gradient is zero.", "梯度为零。", False), ("Kept.", "保留。", False)]
    )
    edited = [("The gradient is exactly zero.", "", False), ("Kept.", "", False)]
    _po(
        tmp_path / "pot" / "page.pot", [*edited, ("A new sentence.", "", False), ("$x$", "", False)]
    )
    i18n.merge(tmp_path / "pot", tmp_path / "locale", "zh_CN")
    with (lc / "page.po").open("rb") as fh:
        merged = {m.id: m for m in read_po(fh) if m.id}
    assert set(merged) == {"The gradient is exactly zero.", "Kept.", "A new sentence.", "$x$"}
    assert merged["The gradient is exactly zero."].fuzzy  # old translation kept, to check
    assert merged["The gradient is exactly zero."].string == "梯度为零。"
    assert (merged["Kept."].string, merged["Kept."].fuzzy) == ("保留。", False)
    assert merged["A new sentence."].string == ""
    assert merged["$x$"].string == "$x$"  # nothing to translate: copied
    problems = {p.msgid: p.what for p in i18n_check.check_catalog(lc / "page.po")}
    assert set(problems) == {"The gradient is exactly zero.", "A new sentence."}


@pytest.mark.parametrize(
    ("page", "current", "expected"),
    [
        ("intro", "en", "zh_CN/intro.html"),
        ("chapters/01_backprop", "en", "../zh_CN/chapters/01_backprop.html"),
        ("intro", "zh_CN", "../intro.html"),
        ("chapters/01_backprop", "zh_CN", "../../chapters/01_backprop.html"),
    ],
)
def test_language_links_are_relative(page: str, current: str, expected: str) -> None:
    links = book_i18n.language_links(page, current, ["zh_CN"])
    assert [link["url"] for link in links] == [expected]


def test_a_third_language_links_every_edition_to_every_other() -> None:
    links = book_i18n.language_links("chapters/05_dropout", "es", ["zh_CN", "es"])
    assert [(link["code"], link["url"]) for link in links] == [
        ("en", "../../chapters/05_dropout.html"),
        ("zh_CN", "../../zh_CN/chapters/05_dropout.html"),
    ]
    assert links[1]["hreflang"] == "zh-CN"


def test_editions_come_from_the_environment_or_the_locale_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "locale" / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "locale" / "es" / "LC_MESSAGES").mkdir(parents=True)
    monkeypatch.delenv("BOOK_LANGUAGES", raising=False)
    assert book_i18n.editions(tmp_path) == ["es", "zh_CN"]
    monkeypatch.setenv("BOOK_LANGUAGES", "zh_CN")
    assert book_i18n.editions(tmp_path) == ["zh_CN"]


def test_the_committed_catalogs_parse_and_cover_every_edition() -> None:
    for code in book_i18n.editions(ROOT):
        lc = ROOT / "locale" / code / "LC_MESSAGES"
        assert (lc / "intro.po").is_file(), f"{code}: no catalog for intro.md"
        assert (lc / "sphinx.po").is_file(), f"{code}: no catalog for the theme's strings"


def test_every_chinese_glossary_term_is_a_search_word() -> None:
    words = set((ROOT / "locale" / "zh_CN" / i18n.SEARCH_WORDS).read_text("utf-8").split())
    terms = set()
    for line in (ROOT / "glossary.md").read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[1] != "中文":
            terms |= {t for t in re.split(r"[,，、（）()\s]+", cells[1]) if re.fullmatch(CJK, t)}
    assert terms, "no Chinese terms found in glossary.md"
    assert terms <= words, f"add to locale/zh_CN/{i18n.SEARCH_WORDS}: {sorted(terms - words)}"


def test_a_term_the_glossary_decided_against_fails(tmp_path: Path) -> None:
    lc = tmp_path / "locale" / "zh_CN" / "LC_MESSAGES"
    (tmp_path / "locale" / "zh_CN").mkdir(parents=True)
    (tmp_path / "locale" / "zh_CN" / i18n_check.AVOID_FILE).write_text(
        "# comment\n随机失活 暂退法\n", encoding="utf-8"
    )
    po = _po(
        lc / "page.po",
        [
            ("Dropout masks units.", "随机失活会屏蔽单元。", False),
            ("Dropout (暂退法; 随机失活 is also common).", "暂退法（随机失活也很常见）。", False),
        ],
    )
    problems = [(p.msgid, p.what) for p in i18n_check.check_catalog(po)]
    assert problems == [("Dropout masks units.", "term: use 暂退法, not 随机失活 (glossary)")]


def test_the_chinese_preferred_terms_are_search_words() -> None:
    avoid = i18n_check.avoided_terms(ROOT / "locale" / "zh_CN" / "LC_MESSAGES" / "intro.po")
    assert "随机失活" in avoid
    words = set((ROOT / "locale" / "zh_CN" / i18n.SEARCH_WORDS).read_text("utf-8").split())
    assert not set(avoid.values()) - words, "a preferred term is missing from the glossary"


def _mini_book(
    tmp_path: Path, body: str, po: dict[str, str], theme: dict[str, str] | None = None
) -> Path:
    """A tiny Sphinx project (reST) with the book's i18n extension and zh_CN catalogs (the
    document's, and ``sphinx.po`` with ``theme``)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / '_ext')!r})\n"
        "extensions = ['sphinx_exercise', 'sphinx_togglebutton', 'book_i18n']\n"
        "locale_dirs = ['locale']\ngettext_compact = False\n",
        encoding="utf-8",
    )
    (src / "index.rst").write_text(body, encoding="utf-8")
    lc = src / "locale" / "zh_CN" / "LC_MESSAGES"
    _po(lc / "index.po", [(k, v, False) for k, v in po.items()])
    if theme:
        _po(lc / "sphinx.po", [(k, v, False) for k, v in theme.items()])
    return src


def _sphinx_build(src: Path, out: Path, builder: str, **overrides: str) -> None:
    from sphinx.application import Sphinx

    app = Sphinx(
        str(src), str(src), str(out), str(out / ".doctrees"), builder,
        confoverrides=overrides, status=None, warning=None, freshenv=True,
    )  # fmt: skip
    app.build()
    assert app.statuscode == 0


EXERCISE_DOC = """Page
====

.. exercise:: Width and *accuracy*
   :label: ex-width

   Rebuild the model.

.. solution:: ex-width

   Narrower.
"""


def test_exercise_titles_are_extracted_and_translated(tmp_path: Path) -> None:
    """sphinx-exercise's title (the directive's argument) is a message of its own, markup
    included, and the Chinese page shows its translation on the exercise and its solution."""
    src = _mini_book(tmp_path, EXERCISE_DOC, {"Width and *accuracy*": "宽度与 *准确率*"})
    _sphinx_build(src, tmp_path / "pot", "gettext")
    with (tmp_path / "pot" / "index.pot").open("rb") as fh:
        assert "Width and *accuracy*" in read_po(fh)
    _sphinx_build(src, tmp_path / "html", "html", language="zh_CN")
    html = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    assert "accuracy" not in html
    assert html.count("宽度与 <em>准确率</em>") == 2  # the exercise and its solution's title
    assert "<span>宽度" not in html  # the translatable wrapper is gone from the solution too


def test_extension_labels_set_in_config_are_translated_per_edition(tmp_path: Path) -> None:
    """sphinx-togglebutton fixes its hint ("Click to show") in English when it is set up;
    the Chinese edition takes it from sphinx.po, the English one keeps it."""
    theme = {"Click to show": "点击显示", "Click to hide": "点击隐藏"}
    src = _mini_book(tmp_path, EXERCISE_DOC, {}, theme)
    _sphinx_build(src, tmp_path / "zh", "html", language="zh_CN")
    html = (tmp_path / "zh" / "index.html").read_text(encoding="utf-8")
    assert "let toggleHintShow = '点击显示';" in html
    assert "let toggleHintHide = '点击隐藏';" in html
    _sphinx_build(src, tmp_path / "en", "html")
    html = (tmp_path / "en" / "index.html").read_text(encoding="utf-8")
    assert "let toggleHintShow = 'Click to show';" in html


def test_the_introduction_links_the_glossary_in_both_editions() -> None:
    role = re.compile(r"\{doc\}`(?:[^`<]*<)?glossary>?`")
    assert role.search((ROOT / "intro.md").read_text("utf-8")), "intro.md: no {doc} glossary link"
    with (ROOT / "locale" / "zh_CN" / "LC_MESSAGES" / "intro.po").open("rb") as fh:
        linked = [m for m in read_po(fh) if m.id and role.search(str(m.id))]
    assert linked and all(role.search(str(m.string)) and not m.fuzzy for m in linked)
