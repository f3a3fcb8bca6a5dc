"""The X-ray side: CNN architectures (``model``), folder data and tf.data pipelines (``data``),
training with calibration and card (``train``), evaluation and faithfulness (``evaluate``).

Same shape as :mod:`ra_models.clinical`. Nothing heavy is imported here.
"""
