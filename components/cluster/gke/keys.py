"""Cloud KMS: one key ring per cluster, one key per use (etcd secrets, disks, each add-on's key).

A key ring and its keys cannot be deleted in GCP (destroying a key only schedules its versions
for destruction), so a ring's name is taken for good. Outside prod the ring's name ends in a
random suffix drawn once per stack life (pulumi-random, kept in the state), so `up` after
`destroy` creates a new ring instead of failing with 409. Prod's ring is protected and never
destroyed: its name stays `<project>-prod` (docs/destroy.md)."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from ...config import PlatformConfig
from ...tags import standard_tags
from .names import gcp_name

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
# 90 days: the rotation period the CIS GCP Foundations Benchmark (1.10) asks of KMS keys.
ROTATION_PERIOD = f"{90 * 24 * 3600}s"


def key_ring(
    name: str, config: PlatformConfig, parent: pulumi.Resource, provider: gcp.Provider, apis: list[pulumi.Resource]
) -> gcp.kms.KeyRing:
    ring_name: pulumi.Input[str] = config.name_prefix
    if not config.is_prod:
        suffix = random.RandomId(f"{name}-key-ring-suffix", byte_length=3, opts=pulumi.ResourceOptions(parent=parent))
        ring_name = suffix.hex.apply(lambda h: f"{config.name_prefix}-{h}")
    return gcp.kms.KeyRing(
        f"{name}-key-ring",
        gcp.kms.KeyRingArgs(name=ring_name, location=config.region, project=config.gcp_project_id),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=apis, protect=config.is_prod),
    )


def crypto_key(
    name: str,
    purpose: str,
    config: PlatformConfig,
    ring: gcp.kms.KeyRing,
    parent: pulumi.Resource,
    provider: gcp.Provider,
) -> gcp.kms.CryptoKey:
    return gcp.kms.CryptoKey(
        name,
        gcp.kms.CryptoKeyArgs(
            name=gcp_name(purpose),
            key_ring=ring.id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period=ROTATION_PERIOD,
            labels={**standard_tags(config), "purpose": gcp_name(purpose)},
        ),
        # Losing a key loses everything encrypted with it: prod keys are protected.
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, protect=config.is_prod),
    )


def grant_key_use(
    name: str,
    key_id: pulumi.Input[str],
    member: pulumi.Input[str],
    parent: pulumi.Resource,
    provider: gcp.Provider,
    depends_on: list[pulumi.Resource] | None = None,
) -> gcp.kms.CryptoKeyIAMMember:
    return gcp.kms.CryptoKeyIAMMember(
        name,
        gcp.kms.CryptoKeyIAMMemberArgs(crypto_key_id=key_id, role=ENCRYPTER_DECRYPTER, member=member),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=depends_on),
    )
