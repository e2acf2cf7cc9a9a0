"""The texts are data: one TOML file a language and owner (service/locales/, ui/locales/), read and checked by
service.texts.load_texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from service import texts as service_texts
from service.texts import TextsError, in_language, load_texts
from ui import texts as ui_texts


def write(folder: Path, **files: str) -> Path:
    for language, text in files.items():
        (folder / f"{language}.toml").write_text(text, encoding="utf-8")
    return folder


def test_a_language_that_lacks_keys_is_refused_naming_them(tmp_path: Path) -> None:
    folder = write(tmp_path, sv='a = "A"\nb = "B"\nc = "C"\n', en='a = "A"\n')
    with pytest.raises(TextsError, match=r"en\.toml lacks keys other languages have: b, c$"):
        load_texts(folder)


def test_a_value_that_is_not_a_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TextsError, match=r"sv\.toml: these keys are not texts: a$"):
        load_texts(write(tmp_path, sv="a = 1\n"))


def test_a_new_language_is_a_new_file(tmp_path: Path) -> None:
    texts = load_texts(write(tmp_path, sv='hello = "Hej {name}"\n', de='hello = "Hallo {name}"\n'))
    assert in_language(texts, "hello", "de", name="Anna") == "Hallo Anna"
    assert in_language(texts, "hello", "fi", name="Anna") == "Hej Anna"  # an unknown language reads Swedish


def test_the_shipped_texts_have_the_same_languages_for_the_service_and_the_ui() -> None:
    assert set(service_texts.TEXTS) == set(ui_texts.TEXTS) == {"sv", "en"}
    assert ui_texts.LANGUAGES == (("Svenska", "sv"), ("English", "en"))
    assert ui_texts.t("report_title", "en") == "Alignment with the regional development strategy"  # a service text
    assert service_texts.format_pages(12, 14, "en") == "pp. 12–14"
