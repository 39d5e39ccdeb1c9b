"""A griffe extension: read the library's ``Example:`` docstring sections as examples.

The docstrings follow Google style with a singular ``Example:`` heading. griffe's Google parser
knows only the plural ``Examples:`` and would otherwise treat the section as an admonition and
its ``>>>`` lines as Markdown (block quotes, and brackets taken for cross-references).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

HEADING = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rename each ``Example:`` heading to ``Examples:`` before the docstring is parsed."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = HEADING.sub(r"\1Examples:", obj.docstring.value)
