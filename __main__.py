"""store-platform: the Pulumi program. Everything lives in components/; this only wires it up."""

import pulumi

from components.program import build_platform

for key, value in build_platform().items():
    pulumi.export(key, value)
