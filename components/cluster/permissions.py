"""What each add-on's cloud identity must be allowed at runtime, per cloud, with the document each
entry comes from; and what the predefined roles the clusters grant contain. Data only:
tests/test_permissions.py renders every cloud and checks the actual grants against it.

Permissions are written in each cloud's own vocabulary: IAM actions (AWS), IAM permissions
(GCP), RBAC data actions (Azure)."""

from __future__ import annotations

from dataclasses import dataclass

from ..addresses import EXTERNAL_SECRETS_NAMESPACE, MONITORING_NAMESPACE, VAULT_NAMESPACE


@dataclass(frozen=True)
class Need:
    addon: str
    namespace: str  # the add-on's Kubernetes service account, which the identity is bound to
    service_account: str
    cloud: str
    on: str  # what the permissions are granted on: "key", "bucket" or "secrets"
    permissions: frozenset[str]
    source: str


_VAULT_AWS = "https://developer.hashicorp.com/vault/docs/configuration/seal/awskms#authentication"
_VAULT_GCP = "https://developer.hashicorp.com/vault/docs/configuration/seal/gcpckms#authentication"
_VAULT_AZURE = "https://developer.hashicorp.com/vault/docs/configuration/seal/azurekeyvault#authentication"
_LOKI = "https://grafana.com/docs/loki/latest/configure/storage/"
_TEMPO_S3 = "https://grafana.com/docs/tempo/latest/configuration/hosted-storage/s3/"
_TEMPO_GCS = "https://grafana.com/docs/tempo/latest/configuration/hosted-storage/gcs/"
_TEMPO_AZURE = "https://grafana.com/docs/tempo/latest/configuration/hosted-storage/azure/"
_ESO_AWS = "https://external-secrets.io/latest/provider/aws-secrets-manager/"

_BLOB_DATA = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
_KEY_DATA = "Microsoft.KeyVault/vaults/keys"


def _need(addon: str, namespace: str, account: str, cloud: str, on: str, permissions: set[str], source: str) -> Need:
    return Need(addon, namespace, account, cloud, on, frozenset(permissions), source)


NEEDS: tuple[Need, ...] = (
    # Vault auto-unseal: wrap and unwrap the root key with the KMS key, and read the key's metadata.
    _need(
        "vault", VAULT_NAMESPACE, "vault", "aws", "key", {"kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"}, _VAULT_AWS
    ),
    _need(
        "vault",
        VAULT_NAMESPACE,
        "vault",
        "gcp",
        "key",
        {
            "cloudkms.cryptoKeyVersions.useToEncrypt",
            "cloudkms.cryptoKeyVersions.useToDecrypt",
            "cloudkms.cryptoKeys.get",
        },
        _VAULT_GCP,
    ),
    _need(
        "vault",
        VAULT_NAMESPACE,
        "vault",
        "azure",
        "key",
        {f"{_KEY_DATA}/read", f"{_KEY_DATA}/wrap/action", f"{_KEY_DATA}/unwrap/action"},
        _VAULT_AZURE,
    ),
    # Loki: chunks and index written, read, listed, and deleted by the compactor's retention.
    _need(
        "loki",
        MONITORING_NAMESPACE,
        "loki",
        "aws",
        "bucket",
        {"s3:ListBucket", "s3:PutObject", "s3:GetObject", "s3:DeleteObject"},
        _LOKI,
    ),
    _need(
        "loki",
        MONITORING_NAMESPACE,
        "loki",
        "gcp",
        "bucket",
        {"storage.objects.create", "storage.objects.get", "storage.objects.list", "storage.objects.delete"},
        _LOKI,
    ),
    _need(
        "loki",
        MONITORING_NAMESPACE,
        "loki",
        "azure",
        "bucket",
        {f"{_BLOB_DATA}/read", f"{_BLOB_DATA}/write", f"{_BLOB_DATA}/delete"},
        _LOKI,
    ),
    # Tempo: blocks written and read, the compactor deletes; on S3 it tags objects, on GCS it
    # reads the bucket's attributes at start-up.
    _need(
        "tempo",
        MONITORING_NAMESPACE,
        "tempo",
        "aws",
        "bucket",
        {
            "s3:PutObject",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:DeleteObject",
            "s3:GetObjectTagging",
            "s3:PutObjectTagging",
        },
        _TEMPO_S3,
    ),
    _need(
        "tempo",
        MONITORING_NAMESPACE,
        "tempo",
        "gcp",
        "bucket",
        {
            "storage.objects.create",
            "storage.objects.delete",
            "storage.objects.get",
            "storage.buckets.get",
            "storage.objects.list",
        },
        _TEMPO_GCS,
    ),
    _need(
        "tempo",
        MONITORING_NAMESPACE,
        "tempo",
        "azure",
        "bucket",
        {f"{_BLOB_DATA}/read", f"{_BLOB_DATA}/write", f"{_BLOB_DATA}/delete"},
        _TEMPO_AZURE,
    ),
    # External Secrets reads the services' secrets (secrets.backend: aws-secrets-manager only).
    _need(
        "external-secrets",
        EXTERNAL_SECRETS_NAMESPACE,
        "external-secrets",
        "aws",
        "secrets",
        {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"},
        _ESO_AWS,
    ),
)

# What the predefined roles the clusters grant contain, as far as the needs above go.
# GCP: https://cloud.google.com/iam/docs/understanding-roles (Cloud Storage roles, Cloud KMS roles)
GCP_ROLES: dict[str, frozenset[str]] = {
    "roles/storage.objectAdmin": frozenset(
        {
            "storage.objects.create",
            "storage.objects.delete",
            "storage.objects.get",
            "storage.objects.list",
            "storage.objects.update",
            "storage.objects.getIamPolicy",
            "storage.objects.setIamPolicy",
        }
    ),
    "roles/storage.legacyBucketReader": frozenset({"storage.buckets.get", "storage.objects.list"}),
    "roles/cloudkms.cryptoKeyEncrypterDecrypter": frozenset(
        {"cloudkms.cryptoKeyVersions.useToEncrypt", "cloudkms.cryptoKeyVersions.useToDecrypt"}
    ),
    "roles/cloudkms.viewer": frozenset(
        {"cloudkms.cryptoKeys.get", "cloudkms.cryptoKeys.list", "cloudkms.keyRings.get", "cloudkms.keyRings.list"}
    ),
}
# Azure built-in roles by their definition GUID:
# https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
AZURE_ROLES: dict[str, frozenset[str]] = {
    # Key Vault Crypto User
    "12338af0-0e69-4776-bea7-57ae8d297424": frozenset(
        {
            f"{_KEY_DATA}/read",
            f"{_KEY_DATA}/update/action",
            f"{_KEY_DATA}/backup/action",
            f"{_KEY_DATA}/encrypt/action",
            f"{_KEY_DATA}/decrypt/action",
            f"{_KEY_DATA}/wrap/action",
            f"{_KEY_DATA}/unwrap/action",
            f"{_KEY_DATA}/sign/action",
            f"{_KEY_DATA}/verify/action",
        }
    ),
    # Storage Blob Data Contributor
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": frozenset(
        {
            f"{_BLOB_DATA}/read",
            f"{_BLOB_DATA}/write",
            f"{_BLOB_DATA}/delete",
            f"{_BLOB_DATA}/add/action",
            f"{_BLOB_DATA}/move/action",
        }
    ),
}


def needs_on(cloud: str) -> list[Need]:
    return [need for need in NEEDS if need.cloud == cloud]
