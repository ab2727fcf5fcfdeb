"""corridor: multimodal freight routing over the New International Land-Sea Trade Corridor."""

__version__ = "0.1.0"
