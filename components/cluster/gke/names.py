"""GCP resource names: lowercase, bounded, readable where they fit and hash-suffixed where not."""

from __future__ import annotations

import hashlib
import re


def gcp_name(text: str, limit: int = 63) -> str:
    """`text` as a GCP name (lowercase letters, digits, hyphens; starts with a letter) of at most
    `limit` characters. A name cut short keeps a hash of the whole, so two long names that share
    a prefix still differ."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not slug or not slug[0].isalpha():
        slug = f"x-{slug}".rstrip("-")
    if len(slug) <= limit:
        return slug
    digest = hashlib.sha256(text.encode()).hexdigest()[:6]
    return f"{slug[: limit - 7].rstrip('-')}-{digest}"


def service_account_id(text: str) -> str:
    """A service account id: 6 to 30 characters (IAM's limits)."""
    return gcp_name(text, 30).ljust(6, "0")
