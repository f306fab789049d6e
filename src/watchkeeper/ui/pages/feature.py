"""A feature's page: its counts, quantiles and drift over the batches, the flagged
batches, the monitor settings in force, and a batch's distribution over the baseline's."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from watchkeeper.catalog.datasets import Batch
from watchkeeper.datasets.anomalies import judged_series
from watchkeeper.datasets.merging import one_line
from watchkeeper.datasets.segments import segment_label
from watchkeeper.datasets.service import DatasetService
from watchkeeper.report.batch_charts import feature_figures
from watchkeeper.report.charts import (
    BASELINE_COLOUR,
    CURRENT_COLOUR,
    distribution_figure,
    script_json,
)
from watchkeeper.report.history_charts import history_figure
from watchkeeper.ui.pages.shared import (
    PageRange,
    Pages,
    batch_label,
    batches_in,
    chosen_batch,
    is_numeric,
    page_query,
    segments_with_violations,
    settings_in_force,
)

log = logging.getLogger("watchkeeper.ui")


def feature_router(service: DatasetService, pages: Pages) -> APIRouter:
    """``/datasets/{name}/features/{feature}`` (a feature's name may hold slashes)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/datasets/{name}/features/{feature:path}")
    def feature_page(
        request: Request,
        name: str,
        feature: str,
        view: Annotated[PageRange, Depends()],
    ) -> Response:
        segment = view.segment
        dataset, batches = batches_in(service, name, view)
        present = [b for b in batches if feature in (b.metrics or {})]
        if batches and not present:
            raise HTTPException(404, f"dataset {name!r} has no feature {feature!r}")
        flagged = [b for b in present if any(v["feature_name"] == feature for v in b.violations)]
        chosen = chosen_batch(present, view.batch, prefer=flagged[-1] if flagged else None)
        distribution, problems = None, []
        if chosen is not None:
            try:
                distribution = _distribution(service, name, chosen, feature)
            except Exception as exc:  # this page only: the rest of it still shows
                log.warning("%s/%s: distribution not drawn: %s", name, feature, one_line(exc))
                problems.append(f"The distribution cannot be drawn: {one_line(exc)}")
        settings, problem = settings_in_force(service, name, segment, feature)
        problems += [problem] if problem else []
        return pages.render(
            "feature.html",
            request,
            title=f"{feature} · {name} · watchkeeper",
            dataset=dataset,
            feature=feature,
            segment=segment,
            segment_label=segment_label(segment),
            segments=segments_with_violations(service, name, view),
            view=view,
            batches=present,
            flagged=flagged,
            chosen=chosen,
            settings=settings,
            numeric=bool(present) and is_numeric(present[-1], feature),
            charts=script_json(
                [*feature_figures(present, feature), *_history_figures(present, feature)]
            ),
            distribution=script_json(distribution) if distribution else None,
            problems=problems,
            query=lambda **changes: page_query(request, **changes),
        )

    return router


def _history_figures(batches: list[Batch], feature: str) -> list[dict[str, Any]]:
    """A chart per figure of the feature judged against its history, with its band."""
    return [
        {"id": f"history-{index}", "title": f"{metric} against its history ({method})",
         **history_figure(points, judgements)}
        for index, ((metric, method), (points, judgements))
        in enumerate(judged_series(batches, feature).items())
    ]  # fmt: skip


def _distribution(
    service: DatasetService, name: str, chosen: Batch, feature: str
) -> dict[str, Any] | None:
    """The chosen batch's distribution of the feature over the baseline's."""
    column = service.profile(chosen).columns.get(feature)
    reference = service.baseline(name)
    base = reference.columns.get(feature) if reference is not None else None
    sides = [("baseline", base, BASELINE_COLOUR)] if base is not None else []
    sides.append((f"batch {batch_label(chosen)}", column, CURRENT_COLOUR))
    sides = [side for side in sides if side[1] is not None]
    return distribution_figure(sides, is_numeric(chosen, feature))
