"""The README stays true to the code."""

import argparse
import re

import pytest

from store_platform_tools.cli import build_parser
from store_platform_tools.config_docs import updated_readme
from tests.rendering import ROOT


def test_readme_configuration_table_matches_the_config_model():
    readme = (ROOT / "README.md").read_text()
    assert updated_readme(readme) == readme, "README configuration table is stale: run `make docs`"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / "README.md").read_text()
    assert "\nmake test\n" in (ROOT / ".ci" / "run").read_text()


DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
# Commands the docs may tell an operator to run: this repository's, and pinned upstream tools
# (versions in docs/incident-response.md and the catalogue).
TOOLS = {
    "make",
    "pulumi",
    "kubectl",
    "argocd",
    "vault",
    "aws",
    "gcloud",
    "az",
    "kubelogin",
    "kind",
    "helm",
    ".venv/bin/store-platform",
    "store-platform",
    "uvx",
    "uv",
    "base64",
    "git",
}
REPO_DIRS = ("components/", "charts/", "policy/", "store_platform_tools/", "docs/", "tests/", ".github/")


def commands(text: str) -> list[str]:
    """Commands in shell code blocks (continuation lines joined) and in inline code that starts
    with a known tool."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.split(" #")[0].strip()
            if command and not command.startswith("#"):
                found.append(command)
    found += [c for c in re.findall(r"`([^`\n]+)`", text) if c.split(" ")[0] in TOOLS and " " in c]
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_command_in_the_docs_is_a_known_tool(doc):
    unknown = [c for c in commands(doc.read_text()) if c.split(" ")[0] not in TOOLS]
    assert unknown == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_make_targets_in_the_docs_exist(doc):
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), flags=re.M))
    named = {c.split(" ")[1] for c in commands(doc.read_text()) if c.startswith("make ")}
    assert named <= targets


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_store_platform_subcommands_in_the_docs_exist(doc):
    named = {c.split(" ")[1] for c in commands(doc.read_text()) if c.split(" ")[0].endswith("store-platform")}
    subcommands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert named <= set(subcommands)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_repository_paths_in_the_docs_exist(doc):
    paths = {
        p.rstrip("/").split("#")[0]
        for p in re.findall(r"`([^`\s]+)`", doc.read_text())
        if p.startswith(REPO_DIRS) and "<" not in p
    }
    assert [p for p in sorted(paths) if not (ROOT / p).exists()] == []
