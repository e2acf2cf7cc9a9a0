"""Every text the UI shows, one file a language in ui/locales/ (read by service.texts.load_texts); `t` looks a key
up there first and then among the texts the service writes (service/locales/), so a rendered answer or report and
the page around it read alike."""

from __future__ import annotations

from pathlib import Path

from service.texts import DEFAULT_LANGUAGE as DEFAULT_LANGUAGE  # re-exported for the UI
from service.texts import TEXTS as SERVICE_TEXTS
from service.texts import in_language, load_texts

TEXTS = load_texts(Path(__file__).parent / "locales")

# (name, code) a language for the language switch: the default language first, then the others by code
LANGUAGES = tuple(
    (TEXTS[lang]["language_name"], lang) for lang in sorted(TEXTS, key=lambda lang: (lang != DEFAULT_LANGUAGE, lang))
)


def t(key: str, lang: str, **params: object) -> str:
    """The text for `key` in `lang` (Swedish when the language is unknown), formatted with `params`."""
    return in_language(TEXTS if key in TEXTS[DEFAULT_LANGUAGE] else SERVICE_TEXTS, key, lang, **params)
