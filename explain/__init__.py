"""Explanations: class-activation maps for the X-ray CNN, Shapley values for the lab DNN.

Pure library code (no UI imports). Arrays and dicts out; ``plots``/``overlay`` turn them into
PNG bytes for the UIs.
"""

from .cam import METHOD_LABELS, METHODS, CamExplainer, to_original
from .overlay import gray_png, overlay_heatmap, overlay_png, sign_overlay, to_png

__all__ = ["METHODS", "METHOD_LABELS", "CamExplainer", "to_original", "overlay_heatmap",
           "overlay_png", "gray_png", "sign_overlay", "to_png"]
