"""pulumi-random offline: ids as deterministic hex from the resource's name (the real provider
draws them once, at creation, and keeps them in the state)."""

from __future__ import annotations

import hashlib
from typing import Any

from ..mocks import computed_outputs


@computed_outputs("random:index/randomId:RandomId")
def _random_id(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    length = int(inputs.get("byteLength", 4))
    hex_ = hashlib.sha256(name.encode()).hexdigest()[: 2 * length]
    return {"hex": hex_, "dec": str(int(hex_, 16)), "b64Url": hex_, "b64Std": hex_}
