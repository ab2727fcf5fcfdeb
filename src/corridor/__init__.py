"""corridor: multimodal freight routing over the New International Land-Sea Trade Corridor.

The public API, imported on first use so that `import corridor` stays cheap:

    import corridor
    network = corridor.load_network()
    best, *alternatives = corridor.find_routes(network, "Chongqing", "Umm Qasr", by="time", alternatives=2)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_network": "network",
    "Network": "network",
    "find_routes": "routing",
    "compare": "routing",
    "reach": "routing",
    "matrix": "routing",
    "Route": "routing",
    "Leg": "routing",
    "Reached": "routing",
    "Query": "query",
}
__all__ = [
    "Leg", "Network", "Query", "Reached", "Route", "__version__", "compare", "find_routes", "load_network",
    "matrix", "reach",
]  # fmt: skip

if TYPE_CHECKING:
    from .network import Network, load_network
    from .query import Query
    from .routing import Leg, Reached, Route, compare, find_routes, matrix, reach


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'corridor' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
