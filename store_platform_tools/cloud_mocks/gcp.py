"""What GCP computes for the GKE component's resources, offline: ids, emails, the cluster's
endpoint and CA, the project number, the region's zones. Deterministic, no cloud SDK."""

from __future__ import annotations

import base64
from typing import Any

from pulumi.runtime import rpc

from ..mocks import call_result, computed_outputs, output_shape

PROJECT_NUMBER = "123456789012"
# A project the render does not know (not passed on the resource) shows as this.
_UNKNOWN_PROJECT = "mock-project"
_COMPUTE = "https://www.googleapis.com/compute/v1"


def _project(inputs: dict[str, Any]) -> str:
    return str(inputs.get("project") or _UNKNOWN_PROJECT)


@call_result("gcp:organizations/getProject:getProject")
def _get_project(args: dict[str, Any]) -> dict[str, Any]:
    project = args.get("projectId") or _UNKNOWN_PROJECT
    return {"projectId": project, "number": PROJECT_NUMBER, "name": project, "id": f"projects/{project}"}


@call_result("gcp:compute/getZones:getZones")
def _get_zones(args: dict[str, Any]) -> dict[str, Any]:
    region = args.get("region", "us-central1")
    return {"id": region, "region": region, "names": [f"{region}-{z}" for z in "abcd"], "project": _UNKNOWN_PROJECT}


@computed_outputs("gcp:container/cluster:Cluster")
def _cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    private = (inputs.get("privateClusterConfig") or {}).get("enablePrivateEndpoint", False)
    ca = base64.b64encode(f"mock CA of {inputs.get('name', name)}".encode()).decode()
    path = f"projects/{_project(inputs)}/locations/{inputs.get('location')}/clusters/{inputs.get('name', name)}"
    return {
        "id": path,
        "selfLink": f"https://container.googleapis.com/v1/{path}",
        # Private Service Connect: the control plane's internal address, from the node subnet.
        "privateClusterConfig": {**(inputs.get("privateClusterConfig") or {}), "privateEndpoint": "10.255.0.2"},
        # Documentation addresses (RFC 5737) for the public endpoint; an internal one when private.
        "endpoint": "10.255.0.2" if private else "203.0.113.10",
        "masterAuth": {**(inputs.get("masterAuth") or {}), "clusterCaCertificate": ca},
        "masterVersion": f"{inputs.get('minMasterVersion', '1.33')}.5-gke.1000",
        # Present on every cluster; serves user traffic only with allowExternalTraffic.
        "controlPlaneEndpointsConfig": _endpoints(inputs, name),
    }


@output_shape("gcp:container/cluster:Cluster")
def _cluster_state(state: dict[str, Any]) -> dict[str, Any]:
    """GKE picks the control plane's internal address and its DNS endpoint: unknown in a preview
    of a new cluster, as the engine shows them."""
    private = state.get("privateClusterConfig")
    if isinstance(private, dict):
        state = {**state, "privateClusterConfig": {**private, "privateEndpoint": rpc.UNKNOWN}}
    config = state.get("controlPlaneEndpointsConfig")
    if not config:
        return state
    dns = {**(config.get("dnsEndpointConfig") or {}), "endpoint": rpc.UNKNOWN}
    return {**state, "controlPlaneEndpointsConfig": {**config, "dnsEndpointConfig": dns}}


def _endpoints(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    config = inputs.get("controlPlaneEndpointsConfig") or {}
    dns = config.get("dnsEndpointConfig") or {}
    uid = base64.b32encode(f"{_project(inputs)}/{inputs.get('name', name)}".encode()).decode().lower().rstrip("=")[:16]
    return {**config, "dnsEndpointConfig": {**dns, "endpoint": f"gke-{uid}.{inputs.get('location')}.gke.goog"}}


@computed_outputs("gcp:serviceaccount/account:Account")
def _account(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    email = f"{inputs['accountId']}@{_project(inputs)}.iam.gserviceaccount.com"
    return {
        "email": email,
        "member": f"serviceAccount:{email}",
        "name": f"projects/{_project(inputs)}/serviceAccounts/{email}",
        "id": f"projects/{_project(inputs)}/serviceAccounts/{email}",
    }


@computed_outputs("gcp:kms/keyRing:KeyRing")
def _key_ring(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"projects/{_project(inputs)}/locations/{inputs['location']}/keyRings/{inputs['name']}"}


@computed_outputs("gcp:kms/cryptoKey:CryptoKey")
def _crypto_key(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"{inputs['keyRing']}/cryptoKeys/{inputs['name']}"}


def _compute_link(kind: str) -> Any:
    def links(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        scope = f"regions/{inputs['region']}" if "region" in inputs else "global"
        path = f"projects/{_project(inputs)}/{scope}/{kind}/{inputs.get('name', name)}"
        return {"id": path, "selfLink": f"{_COMPUTE}/{path}"}

    return links


for _type, _kind in (
    ("gcp:compute/network:Network", "networks"),
    ("gcp:compute/subnetwork:Subnetwork", "subnetworks"),
    ("gcp:compute/router:Router", "routers"),
    ("gcp:compute/firewall:Firewall", "firewalls"),
):
    computed_outputs(_type)(_compute_link(_kind))


@computed_outputs("gcp:compute/address:Address")
def _address(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    index = int(name.rsplit("-", 1)[-1]) if name[-1].isdigit() else 0
    return {**_compute_link("addresses")(name, inputs), "address": f"198.51.100.{10 + index}"}


@computed_outputs("gcp:storage/bucket:Bucket")
def _bucket(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"url": f"gs://{inputs['name']}", "selfLink": f"https://www.googleapis.com/storage/v1/b/{inputs['name']}"}


# The service agent each API's service identity names (https://cloud.google.com/iam/docs/service-agents).
SERVICE_AGENT_DOMAINS = {
    "container.googleapis.com": "container-engine-robot",
    "compute.googleapis.com": "compute-system",
    "storage.googleapis.com": "gs-project-accounts",
}


@computed_outputs("gcp:projects/serviceIdentity:ServiceIdentity")
def _service_identity(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    domain = SERVICE_AGENT_DOMAINS.get(inputs["service"], "gcp-sa-" + inputs["service"].split(".", 1)[0])
    email = f"service-{PROJECT_NUMBER}@{domain}.iam.gserviceaccount.com"
    return {"email": email, "member": f"serviceAccount:{email}"}


@computed_outputs("gcp:dns/managedZone:ManagedZone")
def _managed_zone(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    zone = inputs.get("name", name)
    return {
        "name": zone,
        "id": f"projects/{_project(inputs)}/managedZones/{zone}",
        "nameServers": [f"ns-cloud-a{i}.googledomains.com." for i in range(1, 5)],
    }


@computed_outputs("gcp:projects/iAMCustomRole:IAMCustomRole")
def _custom_role(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    role = f"projects/{_project(inputs)}/roles/{inputs.get('roleId', name)}"
    return {"name": role, "id": role}
