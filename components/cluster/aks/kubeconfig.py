"""The kubeconfig the program hands its Kubernetes provider: AKS's endpoint and CA, and Entra ID
tokens from kubelogin (local accounts are disabled, so there is no static credential to use)."""

from __future__ import annotations

import base64
from typing import Any

import yaml

# The application id of the AKS Entra ID server, the audience of every AKS token (the same in
# every tenant): https://azure.github.io/kubelogin/concepts/aks.html
AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"


def endpoint_of(credential_kubeconfig: str) -> tuple[str, str]:
    """(server, certificate-authority-data) of the first cluster in the base64 kubeconfig that
    AKS's listClusterUserCredential returns."""
    document = yaml.safe_load(base64.b64decode(credential_kubeconfig))
    cluster = document["clusters"][0]["cluster"]
    return cluster["server"], cluster["certificate-authority-data"]


def kubeconfig(cluster_name: str, server: str, ca_data: str) -> str:
    """A kubeconfig whose user runs `kubelogin get-token` on the Azure CLI session: `az login` for
    an operator, the pipeline's federated `az login` in CI. No secret is written into it."""
    user = f"{cluster_name}-entra-id"
    document: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {"server": server, "certificate-authority-data": ca_data}}],
        "users": [
            {
                "name": user,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "kubelogin",
                        "args": ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_APP_ID],
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": user}}],
        "current-context": cluster_name,
    }
    return yaml.safe_dump(document, sort_keys=False)
