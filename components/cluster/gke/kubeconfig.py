"""The kubeconfig the Kubernetes provider (and an operator) uses: no static credential in it;
`gke-gcloud-auth-plugin` fetches a short-lived token from the caller's Google identity."""

from __future__ import annotations

import yaml


def kubeconfig(cluster_name: str, endpoint: str, ca_certificate: str | None) -> str:
    """`ca_certificate` None: the DNS-based endpoint, whose certificate is publicly trusted (the
    cluster CA does not sign it)."""
    cluster: dict[str, object] = {"server": f"https://{endpoint}"}
    if ca_certificate is not None:
        cluster["certificate-authority-data"] = ca_certificate
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": cluster,
                }
            ],
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "gke-gcloud-auth-plugin",
                            "installHint": "gcloud components install gke-gcloud-auth-plugin",
                            "provideClusterInfo": True,
                        }
                    },
                }
            ],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
        },
        sort_keys=False,
    )
