"""The texts the service itself writes (answers, alignment reports and judgements, page references), and the one
reader of text files: an owner keeps one `<language>.toml` a language in its `locales/` folder (service/locales/
here, ui/locales/ for the UI's own texts, ui/texts.py), so a new language is a new file, not new code."""

from __future__ import annotations

import tomllib
from pathlib import Path

DEFAULT_LANGUAGE = "sv"
LOCALES = Path(__file__).parent / "locales"

Texts = dict[str, dict[str, str]]  # language code → text key → text


class TextsError(ValueError):
    """A locales folder that cannot be used; the message names the file and the keys."""


def load_texts(folder: Path) -> Texts:
    """Every `<language>.toml` in `folder` as {language: {key: text}}, checked when it is read: the default
    language is there, every value is a text and every language has the same keys (TextsError otherwise)."""
    texts: Texts = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            with path.open("rb") as file:
                table = tomllib.load(file)
        except tomllib.TOMLDecodeError as error:
            raise TextsError(f"{path}: {error}") from error
        not_texts = sorted(key for key, value in table.items() if not isinstance(value, str))
        if not_texts:
            raise TextsError(f"{path}: these keys are not texts: {', '.join(not_texts)}")
        texts[path.stem] = table
    if DEFAULT_LANGUAGE not in texts:
        raise TextsError(f"{folder}: no texts in the default language ({DEFAULT_LANGUAGE}.toml)")
    keys = set().union(*texts.values())
    for language, table in texts.items():
        missing = sorted(keys - table.keys())
        if missing:
            raise TextsError(f"{folder / language}.toml lacks keys other languages have: {', '.join(missing)}")
    return texts


TEXTS = load_texts(LOCALES)


def t(key: str, lang: str, **params: object) -> str:
    """The text for `key` in `lang` (Swedish when the language is unknown), formatted with `params`."""
    return in_language(TEXTS, key, lang, **params)


def in_language(texts: Texts, key: str, lang: str, **params: object) -> str:
    """`key` of `texts` (as load_texts reads them) in `lang` (Swedish when missing), formatted with `params`."""
    text = texts.get(lang, {}).get(key) or texts[DEFAULT_LANGUAGE][key]
    return text.format(**params) if params else text


def format_pages(start: int | None, end: int | None, lang: str) -> str:
    """ "s. 12" / "s. 12–14" in Swedish, "p. 12" / "pp. 12–14" in English; "" when the page is unknown."""
    if start is None:
        return ""
    if end in (None, start):
        return t("page", lang, start=start)
    return t("page_range", lang, start=start, end=end)
