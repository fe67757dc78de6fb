"""The vendored plotly.js (chart server and dashboard) is the plotly package's version."""
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
    """The chart server and the dashboard draw with the vendored basic bundle; the plotly
    package builds its figures for its own plotly.js: the versions must be the same
    (reports/vendor/README.md says how to update the bundle)."""
    full = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    assert plotly_js_version(BASIC_BUNDLE) == plotly_js_version(full)
