"""Chart archives: where `full render` finds each pinned chart, and `charts pull` to fill the cache.

The cache is laid out as `helm pull` writes it, `<chart>-<version>.tgz`, so a folder made by
`store-platform charts pull`, by hand with `helm pull`, or shipped offline can be given alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from components.catalogue import CATALOGUE, Chart

DEFAULT_CACHE = Path(".charts")


def archive_path(charts_dir: Path, chart: str, version: str) -> Path:
    return charts_dir / f"{chart}-{version}.tgz"


class MissingArchive(FileNotFoundError):
    """A release's chart is not in the cache; the message says how to get it."""


def require_archive(charts_dir: Path, chart: str, version: str) -> Path:
    path = archive_path(charts_dir, chart, version)
    if not path.is_file():
        raise MissingArchive(
            f"chart {chart} {version}: no {path.name} in {charts_dir}; run `store-platform charts pull "
            f"--dest {charts_dir}` (online) or pass --charts with a folder that holds it"
        )
    return path


def pull(charts: Iterable[Chart], dest: Path) -> list[Path]:
    """Download each chart at its pinned version into `dest` (skipping those already there)."""
    import helm_python

    dest.mkdir(parents=True, exist_ok=True)
    pulled = []
    for chart in sorted(set(charts), key=lambda c: (c.chart, c.version)):
        path = archive_path(dest, chart.chart, chart.version)
        if not path.is_file():
            if chart.repository.startswith("oci://"):
                helm_python.pull(f"{chart.repository}/{chart.chart}", version=chart.version, destination=dest)
            else:
                helm_python.pull(chart.chart, repo_url=chart.repository, version=chart.version, destination=dest)
        pulled.append(path)
    return pulled


def catalogue_charts() -> list[Chart]:
    return list(CATALOGUE.values())
