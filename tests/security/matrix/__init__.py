"""Extensions of the authorization matrix, one module per area, so each area declares its own rows.

A module here may define ROWS (a list of Row), ADMIN_MODELS (label → {page: status}) and
extend_world(world) -> dict, which adds objects to the world the rows use (an "objects" key merges into
world["objects"], where the admin rows look up their object by model label).
"""

import importlib
import pkgutil


def extensions():
    return [
        importlib.import_module(f"{__name__}.{module.name}")
        for module in sorted(pkgutil.iter_modules(__path__), key=lambda module: module.name)
    ]
