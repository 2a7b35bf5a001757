"""The program's body, shared by `pulumi up` (through __main__.py) and the offline render."""

from __future__ import annotations

import pulumi

from .config import read_stack_config
from .platform import Platform


def build_platform() -> dict[str, pulumi.Input[object]]:
    """Validate the stack's config, declare the platform, return the stack outputs.

    A config problem stops here, before any resource, with one line per problem."""
    config, secrets = read_stack_config()
    return Platform("store", config, secrets).stack_outputs()
