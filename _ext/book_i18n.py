"""One source, several editions: the book's Sphinx gettext set-up and its language links.

The English book is built as always; every other edition is the same sources built with
``language=<code>`` (``tools/i18n.py build``), which makes Sphinx replace each translatable
message by its translation from ``locale/<code>/LC_MESSAGES/<document>.po``. Code cells and
their stored outputs are never translated, copied or re-executed: both editions render the
very same notebooks.

The editions are those named by the environment variable ``BOOK_LANGUAGES`` (space-separated,
set by the Makefile from its ``LANGUAGES`` variable), or else one per folder ``locale/<code>``.
English sits at the root of the site, edition ``<code>`` under ``<code>/``. Each page's article
header gets a link to the same page in every other edition (relative, so it works from disk).

Strings that are not in any document -- the theme's own labels and the strings of _config.yml
(title, author, footer, search box) -- are translated in ``locale/<code>/LC_MESSAGES/sphinx.po``:
Sphinx reads that catalog before its own and the theme's, and the config strings are looked up
there when the build starts. Two theme templates whose labels are not marked for translation are
overridden in ``_ext/templates`` with the same markup and ``_()`` around the label.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms import SphinxTransform

SOURCE_LANGUAGE = "en"
LOCALE_DIR = "locale"
TEMPLATE = "language-switch.html"
# Each edition's name in its own language (babel's name is used for a code not listed here).
NAMES = {"en": "English", "zh_CN": "中文"}
# Extensions' visible labels that are config values, fixed in English when the extension is set
# up (before any catalog is loaded): translated per edition from sphinx.po like the config strings.
TRANSLATED_CONFIG = (
    "togglebutton_hint",  # sphinx-togglebutton: "Click to show" on a collapsed solution
    "togglebutton_hint_hide",
    "nb_code_prompt_show",  # myst-nb: "Show code cell {type}" on a hide-input cell
    "nb_code_prompt_hide",
)


def editions(srcdir: str | Path) -> list[str]:
    """The translated editions (locale codes), English excluded, in build order."""
    env = os.environ.get("BOOK_LANGUAGES")
    if env is not None:
        return [code for code in env.split() if code != SOURCE_LANGUAGE]
    root = Path(srcdir) / LOCALE_DIR
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "LC_MESSAGES").is_dir())


def display_name(code: str) -> str:
    if code in NAMES:
        return NAMES[code]
    from babel import Locale

    return Locale.parse(code).get_display_name(code) or code


def _current(config: Config) -> str:
    lang = config.language or SOURCE_LANGUAGE
    return SOURCE_LANGUAGE if lang in ("en", "en_US") else lang


def _catalog(srcdir: str | Path, code: str) -> dict[str, str]:
    """The translated strings of ``locale/<code>/LC_MESSAGES/sphinx.po`` (empty if none)."""
    po = Path(srcdir) / LOCALE_DIR / code / "LC_MESSAGES" / "sphinx.po"
    if not po.is_file():
        return {}
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh) if m.id and m.string and not m.fuzzy}


def _translate_config(app: Sphinx, config: Config) -> None:
    code = _current(config)
    if code == SOURCE_LANGUAGE:
        return
    strings = _catalog(app.srcdir, code)
    for name in ("project", "html_title", "author", "copyright", *TRANSLATED_CONFIG):
        value = getattr(config, name, None)
        if isinstance(value, str) and value in strings:
            setattr(config, name, strings[value])
    opts = dict(config.html_theme_options or {})
    for key, value in opts.items():
        if isinstance(value, str) and value in strings:
            opts[key] = strings[value]
    config.html_theme_options = opts


def _configure(app: Sphinx, config: Config) -> None:
    # locale_dirs and gettext_compact are set in _config.yml: Sphinx needs locale_dirs before
    # any extension is loaded. Checked here so that a change there cannot go unnoticed.
    if list(config.locale_dirs) != [LOCALE_DIR] or config.gettext_compact is not False:
        raise ValueError(
            "_config.yml must set sphinx.config.locale_dirs: [locale] and gettext_compact: false "
            f"(got {config.locale_dirs!r}, {config.gettext_compact!r})"
        )
    templates = str(Path(__file__).parent / "templates")
    if templates not in config.templates_path:
        # first: ahead of the theme's own components folders, which override nothing of ours
        config.templates_path = [templates, *config.templates_path]
    static = str(Path(__file__).parent / "i18n_static")
    if static not in config.html_static_path:
        config.html_static_path = [*config.html_static_path, static]
    opts = dict(config.html_theme_options or {})
    end = list(opts.get("article_header_end", ["article-header-buttons.html"]))
    if TEMPLATE not in end:
        end.insert(0, TEMPLATE)
    opts["article_header_end"] = end
    config.html_theme_options = opts
    _translate_config(app, config)


def language_links(pagename: str, current: str, others: list[str]) -> list[dict[str, str]]:
    """Relative links from ``pagename`` in edition ``current`` to the same page elsewhere."""
    depth = pagename.count("/")
    up = "../" * depth  # from the page to the root of its own edition
    if current != SOURCE_LANGUAGE:
        up += "../"  # from the edition's root to the site's root
    links = []
    for code in [SOURCE_LANGUAGE, *others]:
        if code == current:
            continue
        prefix = "" if code == SOURCE_LANGUAGE else f"{code}/"
        links.append(
            {
                "code": code,
                "hreflang": code.replace("_", "-"),
                "name": display_name(code),
                "url": f"{up}{prefix}{pagename}.html",
            }
        )
    return links


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if app.builder.name != "html":  # not singlehtml (the PDF): no edition is built beside it
        return
    links = language_links(pagename, _current(app.config), editions(app.srcdir))
    context["book_language_links"] = links
    tags = "".join(
        f'<link rel="alternate" hreflang="{link["hreflang"]}" href="{link["url"]}" />\n'
        for link in links
    )
    context["metatags"] = context.get("metatags", "") + tags


def _translate_buttons(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """sphinx-book-theme's own zh_CN catalog has a few labels in another register (列印成 PDF):
    a label that locale/<code>/LC_MESSAGES/sphinx.po translates is replaced before rendering."""
    code = _current(app.config)
    if code == SOURCE_LANGUAGE:
        return
    from sphinx.locale import get_translation

    theme = get_translation("booktheme")  # the theme translates its labels when it adds them
    strings = {str(theme(k)): v for k, v in _catalog(app.srcdir, code).items()}

    def fix(buttons: list[dict[str, Any]]) -> None:
        for button in buttons:
            for key in ("tooltip", "text"):
                if str(button.get(key)) in strings:
                    button[key] = strings[str(button[key])]
            fix(button.get("buttons") or [])

    fix(context.get("header_buttons") or [])
    # myst-nb writes the aria label of a hide-input toggle into the page body, untranslated
    label = "Toggle hidden content"
    body = context.get("body")
    if isinstance(body, str) and label in strings:
        context["body"] = body.replace(f'aria-label="{label}"', f'aria-label="{strings[label]}"')


def _translate_toctree_captions(app: Sphinx, doctree: Any) -> None:
    """The part captions of _toc.yml ("Chapters", ...): sphinx-external-toc inserts its toctrees
    after Sphinx has translated the document, so they are translated here, from the same catalog
    (the root document's), before the sidebar is built from them."""
    code = _current(app.config)
    if code == SOURCE_LANGUAGE:
        return
    from sphinx import addnodes
    from sphinx.locale import init as init_locale
    from sphinx.util.i18n import docname_to_domain

    domain = docname_to_domain(app.env.docname, app.config.gettext_compact)
    dirs = [str(Path(app.srcdir) / d) for d in app.config.locale_dirs]
    catalog, found = init_locale(dirs, app.config.language, domain)
    if not found:
        return
    for node in doctree.findall(addnodes.toctree):
        if node.get("caption"):
            node["caption"] = catalog.gettext(node["caption"])


def _translatable_exercise(base: type) -> type:
    """sphinx-exercise 1.2.1 builds an exercise's title (``{exercise} Width and accuracy``) as
    a subtitle node with neither source, line nor raw text, so Sphinx neither extracts it as a
    message nor translates it; and its post-transform moves the subtitle's children into a new
    title before the gettext builder collects the messages. So the children are wrapped here in
    one inline node marked translatable, with the directive's argument (markup included) as its
    raw text and the directive's source and line: an ordinary message, extracted and translated
    like an inline ``translatable`` placeholder (Sphinx unwraps those in every other builder)."""

    class TranslatableExercise(base):  # type: ignore[misc, valid-type]
        def run(self) -> list[nodes.Node]:
            result = super().run()
            if self.arguments:
                from sphinx_exercise.nodes import exercise_subtitle

                source, line = self.state_machine.get_source_and_line(self.lineno)
                for node in result:
                    for sub in node.findall(exercise_subtitle):
                        inline = nodes.inline(self.arguments[0], "", *sub.children)
                        inline["translatable"] = True
                        inline.source, inline.line = source, line
                        sub.children = []
                        sub += inline
            return result

    return TranslatableExercise


class RefreshExerciseRegistry(SphinxTransform):
    """sphinx-exercise keeps a copy of each exercise node, made when the directive ran, and
    titles each solution ("Solution to Exercise 1 (...)") from that copy; after the Locale
    transform (priority 20) the copy is replaced by one of the translated node, with the
    translatable inline unwrapped as Sphinx does it in the document (priority 999; a priority
    above 999 would sort before it: docutils compares priorities as strings)."""

    default_priority = 21

    def apply(self, **kwargs: Any) -> None:
        registry = getattr(self.env, "sphinx_exercise_registry", None)
        if not registry:
            return
        from sphinx.builders.gettext import MessageCatalogBuilder
        from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node

        unwrap = not isinstance(self.app.builder, MessageCatalogBuilder)
        for node in self.document.findall(
            lambda n: isinstance(n, (exercise_node, exercise_enumerable_node))
        ):
            entry = registry.get(node.get("label"))
            if entry is None or entry.get("docname") != self.env.docname:
                continue
            copy = node.deepcopy()
            if unwrap:
                for inline in list(copy.findall(nodes.inline)):
                    if "translatable" in inline:
                        inline.replace_self(inline.children)
            entry["node"] = copy


def setup(app: Sphinx) -> dict[str, object]:
    # loaded here first (a later load from extra_extensions is a no-op) so that the exercise
    # directive can be replaced by its translatable subclass
    app.setup_extension("sphinx_exercise")
    from sphinx_exercise.directive import ExerciseDirective

    app.add_directive("exercise", _translatable_exercise(ExerciseDirective), override=True)
    app.add_transform(RefreshExerciseRegistry)
    app.connect("config-inited", _configure, priority=100)
    app.add_css_file("book_i18n.css")
    # before the toctree collector (priority 500) records the captions
    app.connect("doctree-read", _translate_toctree_captions, priority=400)
    app.connect("html-page-context", _page_context)
    # right after sphinx-book-theme adds its header buttons (501), before any handler that
    # returns a template name (html-page-context stops at the first result)
    app.connect("html-page-context", _translate_buttons, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
