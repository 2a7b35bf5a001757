"""Images: every image the stack runs comes from a registry its policy allows and is pinned.

The registry policy is the one list Gatekeeper's K8sAllowedRepos enforces (the services'
`policy.allowedRegistries` plus the add-ons' registries), matched as that template does: by
prefix of the image reference as written. Pinned: a digest, or a tag that is not `latest`.
"""

from __future__ import annotations

from components.security.registries import allowed_registries

from ..context import Platform
from ..findings import Finding


def is_pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    return ":" in last and last.rsplit(":", 1)[1] not in ("", "latest")


def check(platform: Platform) -> list[Finding]:
    registries = allowed_registries(platform.config)
    findings = []
    for pod in platform.pods:
        for container in pod.all_containers():
            image = container.get("image")
            if not image:
                continue
            subject = f"{pod.describe()} container {container['name']}"
            if not is_pinned(image):
                findings.append(
                    Finding("images", subject, f"image {image} is not pinned", "pin a version tag or a digest")
                )
            if not any(image.startswith(prefix) for prefix in registries):
                findings.append(
                    Finding(
                        "images",
                        subject,
                        f"image {image} is from a registry the policy does not allow",
                        "mirror it to an allowed registry, or add its registry to components/security/registries.py",
                    )
                )
    return findings
