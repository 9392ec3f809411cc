"""The names of ASL's two query languages, as ``QueryLanguage`` spells them."""

from __future__ import annotations

from typing import Final

JSONPATH: Final = "JSONPath"
JSONATA: Final = "JSONata"
#: Every value ``QueryLanguage`` may take; JSONPath is the default.
LANGUAGES: Final = (JSONPATH, JSONATA)
