"""Our ``statistics.json`` against SageMaker's: its fields byte for byte, our own key aside.

watchkeeper ends the document with a top-level ``watchkeeper`` key (see
``watchkeeper.baseline.extension``); comparisons with SageMaker's real files leave out
that key and nothing else.
"""

from __future__ import annotations

OWN_KEY = ',\n  "watchkeeper" : {'


def sagemaker_fields(text: str) -> str:
    """``statistics.json`` text without watchkeeper's key, the document's last one."""
    head, key, rest = text.partition(OWN_KEY)
    assert key, "no watchkeeper key where a statistics.json of ours ends"
    assert rest.endswith("\n  }\n}"), "the watchkeeper key is not the document's last"
    return head + "\n}"
