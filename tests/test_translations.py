"""The catalogues are complete and valid: every message translated, none fuzzy, plurals and
placeholders right (msgfmt's checks), for all five languages besides English."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} (GNU gettext) is needed to check the catalogues")
    return path


def _entries(*args: str, po: Path) -> list[str]:
    output = subprocess.run([_tool("msgattrib"), *args, "--no-obsolete", str(po)], capture_output=True, text=True)
    assert output.returncode == 0, output.stderr
    # msgattrib prints the header entry (msgid "") along with whatever matches.
    return [line for line in output.stdout.splitlines() if line.startswith("msgid ") and line != 'msgid ""']


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_is_valid_for_msgfmt(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        [_tool("msgfmt"), "--check", "--check-accelerators", "-o", "/dev/null", str(po)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    assert _entries("--untranslated", po=po) == []
    assert _entries("--only-fuzzy", po=po) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_committed_beside_its_source(language):
    assert (LOCALE / language / "LC_MESSAGES" / "django.mo").is_file()
