"""What the pipeline assumes of the platform holds: the Argo CD sync selects the Applications the
ApplicationSet generates."""

import yaml

from tests.rendering import ROOT, one, render


def test_argocd_sync_selects_the_label_the_applicationset_sets():
    run = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())["jobs"]["deploy"]
    selector = next(s["run"] for s in run["steps"] if "argocd app sync" in s.get("run", ""))
    key = selector.split('selector="', 1)[1].split("=", 1)[0]
    appset = one(render("dev", "aws"), "kubernetes:argoproj.io/v1alpha1:ApplicationSet")["inputs"]
    assert key in appset["spec"]["template"]["metadata"]["labels"]
