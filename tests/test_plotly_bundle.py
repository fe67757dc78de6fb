"""The chart server's plotly.js (the vendored basic bundle) is the plotly package's."""
from __future__ import annotations

import re
from pathlib import Path

import plotly

from reports.svg import BASIC_BUNDLE


def plotly_js_version(path: Path) -> str:
    """The version in a plotly.js bundle's header comment ("plotly.js (...) v4.1.1")."""
    header = path.read_text(encoding="utf-8")[:300]
    return re.search(r"plotly\.js .*?v(\d+\.\d+\.\d+)", header).group(1)


def test_the_chart_servers_plotly_js_is_the_plotly_packages_version():
    """Charts drawn on the server use the vendored basic bundle, the dashboard the
    plotly package's full one: the same plotly.js, or the two would draw differently
    (reports/vendor/README.md says how to update it)."""
    full = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    assert plotly_js_version(BASIC_BUNDLE) == plotly_js_version(full)
