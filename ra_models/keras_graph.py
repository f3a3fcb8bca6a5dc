"""Reaching a layer's output inside a Keras model's graph (shared by CAMs and the OOD check)."""

from __future__ import annotations


def graph_model(model, layer_name: str, *, with_output: bool = True):
    """A model from ``model``'s input to ``layer_name``'s output (and the model's output).

    A layer that is itself a nested model (a keras.applications backbone inside a transfer
    model) exposes its *inner* output as ``.output``; the tensor in the outer graph is the output
    of the node through which the outer model calls it, so each call node is tried."""
    import keras

    layer = model.get_layer(layer_name)
    candidates = [layer.output] + [n.output_tensors[0] for n in reversed(layer._inbound_nodes)
                                   if n.output_tensors]
    outs = [model.outputs[0]] if with_output else []
    for t in candidates:
        try:
            return keras.Model(model.inputs[0], [t, *outs] if outs else t)
        except ValueError:
            continue
    raise ValueError(f"layer {layer_name!r} is not reachable from the model's input")
