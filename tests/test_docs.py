"""The README stays true to the code."""

from store_platform_tools.config_docs import updated_readme
from tests.rendering import ROOT


def test_readme_configuration_table_matches_the_config_model():
    readme = (ROOT / "README.md").read_text()
    assert updated_readme(readme) == readme, "README configuration table is stale: run `make docs`"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / "README.md").read_text()
    assert "\nmake test\n" in (ROOT / ".ci" / "run").read_text()
