"""What each cloud computes offline: one module per cloud registers its computed outputs and
provider-function answers with `mocks.computed_outputs` / `mocks.call_result`. All modules are
imported here; they import no cloud SDK (tokens are plain strings), so this stays cheap."""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
