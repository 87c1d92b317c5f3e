"""The language the grader speaks to a student: English, or Chinese (中文) as the lesson is.

Every sentence a student reads is written in English in the code as a whole-sentence template
with named fields, ``t("{call} did not finish within {deadline:g} s", call=..., deadline=...)``;
``grader/translations/*.zh.toml`` maps each template to its Chinese one, and the catalogue
carries its own text's translation beside it (``summary_zh``, ``hint_zh``, ``hint2_zh``).
``tests/test_language.py`` finds every ``t("...")`` in the grader and fails on one that has no
Chinese. The language is chosen once per process (``--lang``, else the locale variables).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

LANGUAGES = ("en", "zh")
DEFAULT = "en"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
"""POSIX order: the first one set decides."""
TRANSLATIONS = Path(__file__).with_name("translations")

_chosen = DEFAULT


def from_environ(environ: Mapping[str, str]) -> str:
    """``zh`` when the first locale variable set names Chinese (``zh_CN.UTF-8``, ``zh_TW``,
    ``zh_Hans``...), else ``en``."""
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return DEFAULT


def use(language: str) -> None:
    """Speak ``language`` from now on, in this process."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    global _chosen
    _chosen = language


def current() -> str:
    return _chosen


@cache
def table(language: str) -> dict[str, str]:
    """English template -> its translation, from every ``translations/*.<language>.toml``."""
    found: dict[str, str] = {}
    for path in sorted(TRANSLATIONS.glob(f"*.{language}.toml")):
        with open(path, "rb") as file:
            for section in tomllib.load(file).values():
                found.update(section)
    return found


def t(template: str, /, **fields: Any) -> str:
    """``template`` in the current language, its ``{fields}`` filled in. An untranslated
    template (or a translation that does not format) falls back to the English."""
    if _chosen != DEFAULT:
        translated = table(_chosen).get(template)
        if translated is not None:
            with contextlib.suppress(KeyError, IndexError, ValueError):
                return translated.format(**fields)
    return template.format(**fields)


def catalogue_text(english: str) -> str:
    """Text the catalogue holds without a ``_zh`` field beside it (a check's reason for not
    being judged on a system): its translation from the tables, else as it is."""
    return table(_chosen).get(english, english) if _chosen != DEFAULT else english


def pick(english: str, chinese: str) -> str:
    """Text that carries its own translation (the catalogue's): the one to show now."""
    return chinese if _chosen == "zh" and chinese else english


def _argparse_text(message: str) -> str:
    return table(_chosen).get(message, message) if _chosen != DEFAULT else message


@contextlib.contextmanager
def argparse_speaks() -> Iterator[None]:
    """argparse's own words (``usage:``, ``unrecognized arguments``...) in the current language
    while parsing: argparse looks them up through ``argparse._`` (gettext) at run time."""
    module: Any = argparse
    saved = module._, module.ngettext
    module._ = _argparse_text
    module.ngettext = lambda one, many, n: _argparse_text(one if n == 1 else many)
    try:
        yield
    finally:
        module._, module.ngettext = saved


def chosen_in(argv: list[str], environ: Mapping[str, str]) -> str:
    """The language ``--lang X`` / ``--lang=X`` names in ``argv`` (known before argparse
    runs, so that its messages are translated too), else the locale's."""
    for index, word in enumerate(argv):
        if word == "--":
            break
        value = None
        if word == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        elif word.startswith("--lang="):
            value = word.split("=", 1)[1]
        if value in LANGUAGES:
            return value
    return from_environ(environ)


def add_language_option(cli: argparse.ArgumentParser) -> None:
    cli.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=current(),
        help=t("the language of the feedback (default: from LC_ALL, LC_MESSAGES or LANG)"),
    )
