"""Many reports sharing one copy of plotly's JavaScript."""


def test_reports_can_share_one_plotly_bundle(tmp_path):
    import pyarrow as pa

    from watchkeeper.profile import DatasetProfile
    from watchkeeper.report import write_plotly_bundle, write_report

    profile = DatasetProfile()
    profile.track(pa.table({"x": [1.0, 2.0]}))
    bundle = write_plotly_bundle(tmp_path / "_assets")
    assert write_plotly_bundle(tmp_path / "_assets") == bundle  # written once
    written = write_report(tmp_path / "a", profile, plotly_src="../_assets/plotly.js")
    html = (tmp_path / "a" / "report.html").read_text()
    assert '<script src="../_assets/plotly.js"></script>' in html
    assert len(html) < 200_000  # the 4.8 MB bundle is not embedded
    assert set(written) == {"html", "csv", "json"}
