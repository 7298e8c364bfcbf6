"""The intel tests read the services' messages in English, the language of the msgids: the Japanese catalogue
would otherwise answer for them (pages are read in English through the `english` fixture)."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield
