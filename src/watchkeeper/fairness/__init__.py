"""Bias metrics before and after training, as Amazon SageMaker Clarify computes them.

:func:`pretraining_bias` measures how the labels of a sensitive group d (the facet)
differ from everyone else's (a): class imbalance, differences in positive proportions,
divergences of the label distributions. :func:`posttraining_bias` does the same for a
model's answers: disparate impact, recall, precision and accuracy differences, the flip
test. Both return a section of Clarify's ``analysis.json``; :func:`write_analysis`
writes the file in Clarify's layout.

>>> import pyarrow as pa
>>> applicants = pa.table({"sex": [0, 0, 1, 1, 1, 1], "approved": [0, 1, 1, 1, 0, 1]})
>>> pre = pretraining_bias(applicants, label="approved", label_values=[1],
...                        facet="sex", facet_values=[0], methods=["CI", "DPL"])
>>> [(m["name"], round(m["value"], 3)) for m in pre["facets"]["sex"][0]["metrics"]]
[('CI', 0.333), ('DPL', 0.25)]
"""

from __future__ import annotations

from watchkeeper.fairness.analysis import bias_report, read_analysis, write_analysis
from watchkeeper.fairness.bias import posttraining_bias, pretraining_bias
from watchkeeper.fairness.metrics import POSTTRAINING, PRETRAINING

__all__ = [
    "POSTTRAINING",
    "PRETRAINING",
    "bias_report",
    "posttraining_bias",
    "pretraining_bias",
    "read_analysis",
    "write_analysis",
]
