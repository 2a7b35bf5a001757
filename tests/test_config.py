"""Stack configuration: defaults per environment, every validation rule, good and bad."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError, load_config, retarget
from components.config.clouds import translate_machine_type
from components.config.defaults import defaults_for


def problems(raw: Any, stack: str = "dev") -> list[str]:
    with pytest.raises(ConfigError) as e:
        load_config(raw, stack)
    return [str(p) for p in e.value.problems]


def only_problem(raw: Any, stack: str = "dev") -> str:
    found = problems(raw, stack)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod", "local"])
def test_every_environment_loads_from_defaults_alone(stack):
    assert load_config({}, stack).environment == stack


def test_environment_defaults_to_the_stack_name():
    assert load_config({}, "staging").environment == "staging"


def test_environment_key_overrides_the_stack_name():
    assert load_config({"environment": "prod", "cloud": "aws"}, "prod-eu").environment == "prod"


def test_unknown_stack_name_without_environment_is_rejected():
    assert only_problem({}, "feature-x").startswith("platform.environment: 'feature-x' is not an environment")


def test_dev_is_small_and_prod_highly_available():
    dev, prod = load_config({}, "dev"), load_config({}, "prod")
    assert dev.cluster.node_pools.workloads.min < prod.cluster.node_pools.workloads.min
    assert prod.cluster.node_pools.system.min >= 3
    assert prod.cluster.private_endpoint and not dev.cluster.private_endpoint


def test_policy_enforcement_defaults_warn_dryrun_deny():
    assert [load_config({}, s).policy.enforcement for s in ("dev", "staging", "prod")] == ["warn", "dryrun", "deny"]


def test_default_region_follows_the_cloud():
    assert load_config({"cloud": "gcp"}, "dev").region == "us-central1"
    assert load_config({"cloud": "azure"}, "dev").region == "eastus"


def test_value_outside_its_set_names_the_allowed_values():
    line = only_problem({"mesh": {"provider": "consul"}})
    assert line.startswith("platform.mesh.provider:") and "'istio' or 'linkerd'" in line and "consul" in line


def test_unknown_cloud_is_rejected():
    assert only_problem({"cloud": "digitalocean"}).startswith("platform.cloud:")


def test_misspelt_key_gets_a_did_you_mean():
    assert (
        only_problem({"cluster": {"nodePool": {}}})
        == "platform.cluster.nodePool: unknown key; did you mean 'nodePools'?"
    )


def test_misspelt_top_level_key_is_rejected():
    assert only_problem({"obserability": {}}).startswith(
        "platform.obserability: unknown key; did you mean 'observability'"
    )


def test_min_above_max_is_rejected_with_the_fix():
    line = only_problem({"cluster": {"nodePools": {"workloads": {"min": 5, "max": 2}}}})
    assert line == "platform.cluster.nodePools.workloads: min (5) is greater than max (2); lower min or raise max"


@pytest.mark.parametrize("cidr", ["10.0.0.0/33", "10.0.0.1/8", "office"])
def test_invalid_authorized_cidr_is_rejected(cidr):
    assert only_problem({"cluster": {"authorizedNetworks": [cidr]}}).startswith("platform.cluster.authorizedNetworks:")


def test_world_open_api_server_is_rejected():
    assert "opens the API server to the internet" in only_problem({"cluster": {"authorizedNetworks": ["0.0.0.0/0"]}})


def test_prod_refuses_a_public_endpoint():
    found = problems({"cluster": {"privateEndpoint": False, "authorizedNetworks": ["198.51.100.0/28"]}}, "prod")
    assert [p.split(":")[0] for p in found] == ["platform.cluster.privateEndpoint"]


def test_unsupported_kubernetes_version_lists_the_supported_ones():
    line = only_problem({"cluster": {"kubernetesVersion": "1.27"}})
    assert (
        line.startswith("platform.cluster.kubernetesVersion: '1.27' is not a version aws supports") and "1.33" in line
    )


def test_unquoted_kubernetes_version_asks_for_quotes():
    assert "quoted string" in only_problem({"cluster": {"kubernetesVersion": 1.30}})


def test_region_of_another_cloud_is_rejected_with_suggestions():
    line = only_problem({"cloud": "gcp", "region": "us-east-1"})
    assert line.startswith("platform.region: 'us-east-1' is not a gcp region") and "us-east1" in line


@pytest.mark.parametrize("url", ["github.com/acme/store", "ftp://x/y", "https://", "store-management"])
def test_non_url_repository_is_rejected(url):
    assert only_problem({"gitops": {"repoUrl": url}}).startswith("platform.gitops.repoUrl:")


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/store-management",
        "git@github.com:acme/store.git",
        "ssh://git@gitlab.example.com/acme/store.git",
    ],
)
def test_repository_urls_are_accepted(url):
    assert load_config({"gitops": {"repoUrl": url}}, "dev").gitops.repo_url == url


def test_aws_secrets_manager_only_on_aws():
    line = only_problem({"cloud": "azure", "secrets": {"backend": "aws-secrets-manager"}})
    assert line == "platform.secrets.backend: aws-secrets-manager exists only on aws, not azure; use vault"


def test_aws_secrets_manager_on_aws_is_accepted():
    assert load_config({"secrets": {"backend": "aws-secrets-manager"}}, "dev").secrets.backend == "aws-secrets-manager"


def test_existing_cloud_requires_a_kube_context():
    assert only_problem({"cloud": "existing"}).startswith("platform.cluster.kubeContext: required with cloud: existing")


def test_kube_context_on_a_managed_cloud_is_rejected():
    assert "only used with cloud: existing" in only_problem({"cluster": {"kubeContext": "kind-store"}})


def test_unknown_chart_override_is_rejected():
    assert only_problem({"charts": {"istio": {"version": "1.0.0"}}}).startswith("platform.charts.istio: no add-on")


def test_chart_override_of_a_catalogue_entry_is_accepted():
    assert load_config({"charts": {"istiod": {"version": "1.28.3"}}}, "dev").charts["istiod"].version == "1.28.3"


def test_service_calling_itself_is_rejected():
    assert "does not call itself" in only_problem({"services": {"sales": {"calls": ["sales"]}}})


def test_calls_to_an_unknown_service_are_rejected():
    assert only_problem({"services": {"sales": {"calls": ["payments"]}}}).startswith("platform.services.sales.calls.0:")


def test_slo_outside_range_is_rejected():
    assert only_problem({"services": {"auth": {"slo": {"availability": 100}}}}).startswith(
        "platform.services.auth.slo.availability:"
    )


def test_invalid_project_is_rejected():
    assert only_problem({"project": "Acme_Store"}).startswith("platform.project:")


def test_prod_system_pool_needs_three_nodes():
    assert only_problem({"cluster": {"nodePools": {"system": {"min": 2}}}}, "prod").startswith(
        "platform.cluster.nodePools.system.min: 2 is too few for prod"
    )


def test_every_problem_is_reported_at_once():
    found = problems(
        {
            "cloud": "gcp",
            "region": "us-east-1",
            "mesh": {"provider": "consul"},
            "typo": 1,
            "cluster": {"nodePools": {"system": {"min": 9, "max": 1}}},
        }
    )
    assert [p.split(":")[0] for p in found] == [
        "platform.cluster.nodePools.system",
        "platform.mesh.provider",
        "platform.region",
        "platform.typo",
    ]


def test_platform_that_is_not_a_map_is_rejected():
    assert only_problem(["cloud", "aws"]).startswith("platform: must be a map")


@pytest.mark.parametrize(
    ("given", "cloud", "expected"),
    [
        ("m7i.xlarge", "gcp", "n2-standard-4"),
        ("m7i.xlarge", "azure", "Standard_D4s_v5"),
        ("n2-standard-4", "aws", "m7i.xlarge"),
        ("Standard_E4s_v5", "gcp", "n2-highmem-4"),
        ("g5.xlarge", "aws", "g5.xlarge"),
        ("g5.xlarge", "azure", None),
    ],
)
def test_machine_types_translate_between_clouds(given, cloud, expected):
    assert translate_machine_type(given, cloud) == expected


def test_loaded_config_carries_the_clouds_machine_type():
    config = load_config({"cloud": "azure"}, "prod")
    assert config.cluster.node_pools.workloads.instance_type == "Standard_D4s_v5"


def test_machine_type_unknown_to_the_cloud_is_rejected():
    line = only_problem({"cloud": "azure", "cluster": {"nodePools": {"system": {"instanceType": "g5.xlarge"}}}})
    assert line.startswith("platform.cluster.nodePools.system.instanceType: 'g5.xlarge' is not a azure machine type")


def test_lists_in_a_stack_file_replace_the_defaults():
    config = load_config({"policy": {"allowedRegistries": ["registry.example.com/store/"]}}, "dev")
    assert config.policy.allowed_registries == ["registry.example.com/store/"]


def test_stack_file_moves_cloud_with_cloud_and_region_only():
    raw = {"cloud": "aws", "region": "eu-west-1"}
    assert load_config({**raw, "cloud": "gcp", "region": "europe-west1"}, "prod").cluster.private_endpoint


def test_retarget_swaps_the_region_of_another_cloud():
    assert retarget({"cloud": "aws", "region": "us-east-1"}, "gcp")["region"] == "us-central1"


def test_retarget_keeps_a_region_of_the_target_cloud():
    assert retarget({"cloud": "aws", "region": "us-east-1"}, "aws")["region"] == "us-east-1"


def test_retarget_away_from_existing_drops_the_kube_context():
    moved = retarget({"cloud": "existing", "cluster": {"kubeContext": "kind-store"}}, "aws")
    assert "kubeContext" not in moved["cluster"]
    load_config(moved, "dev")


def test_defaults_are_not_shared_between_calls():
    defaults_for("dev")["cluster"]["nodePools"]["system"]["min"] = 99
    assert defaults_for("dev")["cluster"]["nodePools"]["system"]["min"] == 1
