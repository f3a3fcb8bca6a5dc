"""Bring your own X-ray model: ``python -m ra_models import xray --model FILE --out DIR``.

A user's Keras classifier (``.keras``, legacy ``.h5``, or a SavedModel folder written by
Keras 2; loaded with ``safe_mode=True``, a model needing custom objects or Lambda code is
refused, never executed) becomes a model folder the
apps load like the demo model. The folder holds one *flat functional* Keras model with the
project's contract — input (S, S, 1) grayscale in [0, 1], output softmax {not RA, RA} — built
from the user's own layers:

* an **adapter** in front (gray → RGB when the model takes 3 channels, and the model's input
  scaling: ``rescale`` [0, 1], ``tf`` [-1, 1], ``torch`` ImageNet mean/std, ``caffe`` 0–255
  minus the ImageNet mean, or ``none`` = raw 0–255 pixels for models with their own
  preprocessing layers, which is detected);
* the user's layers **replayed** in order on the adapter's output (Sequential models and
  chain-shaped functional models, a nested backbone such as MobileNetV2 counting as one
  layer), so every layer output — the CAM layer included — is reachable in one graph, which
  tf-keras-vis cannot do for Sequential models or nested backbones;
* a **head** that turns the model's own output into two-class logits followed by a softmax:
  a sigmoid unit z becomes [0, ±z], a two-class softmax is reordered so that RA is class 1, and
  a softmax over K > 2 classes becomes [log Σ exp(other logits), RA logit] (exactly P(RA)).
  CAMs use the RA logit before any softmax, as in the Grad-CAM paper.

Nothing of the original file is executed at import or at serving time; all adapter and head
layers are standard Keras layers that ``safe_mode`` loads.
"""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import numpy as np

from .. import model_card
from ..errors import InvalidInputError, ModelError
from ..model_card import MODEL_FILE

PREPROCESS_MODES = {
    "rescale": "the model takes pixels scaled to [0, 1] (x / 255)",
    "tf": "the model takes pixels scaled to [-1, 1] (x / 127.5 - 1; MobileNet, Inception)",
    "torch": "the model takes [0, 1] pixels normalised by the ImageNet mean and std",
    "caffe": "the model takes 0–255 pixels minus the ImageNet mean (VGG, ResNet50)",
    "none": "the model takes raw 0–255 pixels and scales them itself (its own layers)",
}
_IMAGENET_MEAN = np.array([0.485, 0.456, 0.406])
_IMAGENET_STD = np.array([0.229, 0.224, 0.225])
_CAFFE_MEAN = np.array([103.939, 116.779, 123.68])
_PREPROCESSING_LAYERS = ("Rescaling", "Normalization")


class ImportError_(InvalidInputError):  # noqa: N801 - keeps the builtin ImportError unshadowed
    """The model file cannot be imported as it is; the message says what to change."""

    code = "import_error"


def _refuse_code(config, where: str) -> None:
    """Refuse any Lambda layer or custom class anywhere in a model config (before loading)."""
    if isinstance(config, dict):
        cls = config.get("class_name")
        if cls == "Lambda" or cls == "TFOpLambda":
            raise ImportError_(f"{where} contains a Lambda layer (Python code); it is refused, "
                               "never executed. Replace it with standard Keras layers.")
        if isinstance(config.get("registered_name"), str) and ">" in config["registered_name"]:
            raise ImportError_(f"{where} needs the custom object {config['registered_name']!r}; "
                               "custom code is refused. Rebuild the model from standard layers.")
        for v in config.values():
            _refuse_code(v, where)
    elif isinstance(config, list):
        for v in config:
            _refuse_code(v, where)


def load_user_model(path: str | Path):
    """A user's ``.keras``/``.h5`` classifier or Keras 2 SavedModel folder, loaded safely (code
    refused before anything is built); clear errors otherwise."""
    import keras

    path = Path(path)
    shown = path.name
    if path.is_dir():
        if (path / "saved_model.pb").exists():
            return _load_keras2_savedmodel(path, shown)
        raise ImportError_(f"'{shown}' is a folder, not a model file (.keras or .h5) nor a "
                           "SavedModel folder (no saved_model.pb in it).")
    if not path.exists():
        raise ImportError_(f"Model file '{shown}' does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".keras":
        try:
            with zipfile.ZipFile(path) as z:
                config = json.loads(z.read("config.json"))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
            raise ImportError_(f"'{shown}' is not a readable .keras file ({e}).") from e
    elif suffix in (".h5", ".hdf5"):
        import h5py

        try:
            with h5py.File(path, "r") as f:
                raw = f.attrs.get("model_config")
                if raw is None:
                    raise ImportError_(f"'{shown}' holds weights only (no model_config); save "
                                       "the whole model with model.save('model.h5').")
                config = json.loads(raw if isinstance(raw, str) else raw.decode())
        except OSError as e:
            raise ImportError_(f"'{shown}' is not a readable HDF5 file ({e}).") from e
    else:
        raise ImportError_(f"'{shown}': use a .keras or .h5 model file, or a SavedModel folder.")
    _refuse_code(config, f"'{shown}'")
    if suffix != ".keras":  # written by Keras 2: its config is read as Keras 3 reads .h5 files
        model = _from_keras2_config(config, shown)
        try:
            model.load_weights(path)
        except Exception as e:  # noqa: BLE001 - Keras raises many types; all mean "cannot import"
            raise ImportError_(f"'{shown}': its weights could not be loaded: "
                               f"{str(e).splitlines()[0][:300]}.") from e
        return model
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as e:  # noqa: BLE001 - Keras raises many types; all mean "cannot import"
        reason = str(e).split("\n")[0][:300]
        raise ImportError_(f"'{shown}' could not be loaded safely: {reason}.") from e


def _proto_fields(buf: bytes):
    """(field number, value) pairs of one protobuf message: varints as ints, length-delimited
    fields as bytes. Enough to read ``keras_metadata.pb`` without Keras 2's generated classes."""
    def varint(i):
        out = shift = 0
        while True:
            byte = buf[i]
            i += 1
            out |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return out, i

    i = 0
    while i < len(buf):
        key, i = varint(i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(i)
        elif wire == 2:
            n, i = varint(i)
            value, i = buf[i: i + n], i + n
        elif wire in (1, 5):
            value, i = buf[i: i + (8 if wire == 1 else 4)], i + (8 if wire == 1 else 4)
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield field, value


def _untuple(obj):
    """Keras 2's SavedModel JSON writes tuples as {"class_name": "__tuple__", "items": [...]}."""
    if isinstance(obj, dict):
        if obj.get("class_name") == "__tuple__" and "items" in obj:
            return [_untuple(v) for v in obj["items"]]
        return {k: _untuple(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_untuple(v) for v in obj]
    return obj


def _keras2_config(metadata: bytes, shown: str) -> dict:
    """The model config that Keras 2 stored for the root object of a SavedModel."""
    try:
        for field, node in _proto_fields(metadata):  # SavedMetadata.nodes = 1
            if field != 1:
                continue
            obj = dict(_proto_fields(node))  # SavedObject: node_path = 3, metadata = 5
            if obj.get(3) == b"root":
                meta = json.loads(obj.get(5, b"{}"))
                config = meta.get("model_config") or {"class_name": meta["class_name"],
                                                      "config": meta["config"]}
                return _untuple(config)
    except (ValueError, KeyError, IndexError) as e:
        raise ImportError_(f"'{shown}': keras_metadata.pb cannot be read ({e}).") from e
    raise ImportError_(f"'{shown}': keras_metadata.pb describes no model.")


#: Keras 3 weight names whose Keras 2 attribute had another name.
_KERAS2_WEIGHT_NAMES = {"kernel": ("depthwise_kernel",)}


def _restore_keras2_weights(model, prefix: Path, shown: str) -> None:
    """Assign a SavedModel's checkpoint to a Keras 3 model rebuilt from the same config.

    The checkpoint's object graph is walked as Keras 2 tracked it: a model's children
    ``layer_with_weights-J`` are its layers that hold weights, in order (a nested backbone is
    one of them), and a layer's children are its variables by attribute name."""
    import tensorflow as tf
    from tensorflow.core.protobuf import trackable_object_graph_pb2

    try:
        reader = tf.train.load_checkpoint(str(prefix))
        graph = trackable_object_graph_pb2.TrackableObjectGraph()
        graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    except Exception as e:  # noqa: BLE001 - TensorFlow raises several types for a bad checkpoint
        raise ImportError_(f"'{shown}': its variables/ checkpoint cannot be read "
                           f"({str(e).splitlines()[0][:200]}).") from e

    def kids(node: int) -> dict:
        return {c.local_name: c.node_id for c in graph.nodes[node].children}

    def walk(layer, node: int, where: str) -> None:
        children = kids(node)
        if getattr(layer, "layers", None):  # a model: its weighted layers, in order
            for j, sub in enumerate(s for s in layer.layers if s.weights):
                key = f"layer_with_weights-{j}"
                if key not in children:
                    raise ImportError_(f"'{shown}': no weights saved for layer '{sub.name}'.")
                walk(sub, children[key], f"{where}/{sub.name}")
            return
        for w in layer.weights:
            name = next((n for n in (w.name, *_KERAS2_WEIGHT_NAMES.get(w.name, ()))
                         if n in children), None)
            attrs = {a.name: a.checkpoint_key for a in graph.nodes[children[name]].attributes} \
                if name else {}
            if "VARIABLE_VALUE" not in attrs:
                raise ImportError_(f"'{shown}': weight '{w.name}' of layer '{layer.name}' is not "
                                   "in the SavedModel's checkpoint.")
            value = reader.get_tensor(attrs["VARIABLE_VALUE"])
            if tuple(value.shape) != tuple(w.shape):
                raise ImportError_(f"'{shown}': weight '{w.name}' of layer '{layer.name}' has "
                                   f"shape {tuple(value.shape)}, the layer wants {tuple(w.shape)}.")
            w.assign(value)

    walk(model, 0, model.name)


def _load_keras2_savedmodel(path: Path, shown: str):
    """A SavedModel folder written by Keras 2 (``model.save('dir')`` in TensorFlow ≤ 2.15):
    the model is rebuilt from the config in ``keras_metadata.pb`` with standard Keras 3 layers
    (a Lambda or custom class is refused first) and its checkpoint assigned layer by layer. The
    SavedModel's graphs are never loaded or run."""
    metadata = path / "keras_metadata.pb"
    if not metadata.exists():
        raise ImportError_(
            f"'{shown}' is a SavedModel without Keras metadata (from model.export(), "
            "tf.saved_model.save or TF Hub): its layers cannot be opened, so no heatmap could be "
            "computed. Save the model from the code that built it with model.save('model.keras') "
            "(or .h5) and import that file.")
    config = _keras2_config(metadata.read_bytes(), shown)
    _refuse_code(config, f"'{shown}'")
    model = _from_keras2_config(config, shown)
    _restore_keras2_weights(model, path / "variables" / "variables", shown)
    return model


def _keras2_compat(config):
    """What Keras 3's own legacy loader trips over in Keras 2 configs, fixed where the meaning
    is unchanged: DepthwiseConv2D's ``groups`` key (always 1; every Keras 2 MobileNet has it) is
    dropped, and calls of a nested model are renumbered (Keras 2 counted the nested model's own
    construction as its node 0; Keras 3 rebuilds it without that node), and a single input or
    output is written as one tensor rather than a list of one (else a nested model returns a
    list)."""
    if isinstance(config, dict):
        out = {k: _keras2_compat(v) for k, v in config.items()}
        if out.get("class_name") == "DepthwiseConv2D" and isinstance(out.get("config"), dict):
            if out["config"].get("groups", 1) == 1:
                out["config"].pop("groups", None)
        layers = out.get("layers")
        if isinstance(layers, list) and "input_layers" in out:
            nested = {lay.get("name") for lay in layers if isinstance(lay, dict)
                      and lay.get("class_name") in ("Functional", "Model")}
            for lay in layers:
                for node in lay.get("inbound_nodes", []) if isinstance(lay, dict) else []:
                    for ref in node if isinstance(node, list) else []:
                        if (isinstance(ref, list) and len(ref) >= 3 and ref[0] in nested
                                and isinstance(ref[1], int) and ref[1] >= 1):
                            ref[1] -= 1
            for key in ("input_layers", "output_layers"):  # one tensor, not a list of one
                refs = out.get(key)
                if isinstance(refs, list) and len(refs) == 1 and isinstance(refs[0], list) \
                        and len(refs[0]) == 3 and isinstance(refs[0][0], str):
                    out[key] = refs[0]
        return out
    if isinstance(config, list):
        return [_keras2_compat(v) for v in config]
    return config


def _from_keras2_config(config: dict, shown: str):
    """A Keras 3 model rebuilt from a Keras 2 config (code already refused), with the loader
    Keras 3 itself uses for legacy .h5 files; no weights yet."""
    from keras.src.legacy.saving import saving_utils

    try:
        return saving_utils.model_from_config(_keras2_compat(config))
    except Exception as e:  # noqa: BLE001 - any failure here means "cannot import"
        raise ImportError_(f"'{shown}' could not be rebuilt from its config: "
                           f"{str(e).splitlines()[0][:300]}.") from e


def source_digest(path: str | Path) -> str:
    """sha256 of a model file, or of a SavedModel folder (every file's path and bytes, sorted)."""
    import hashlib

    path = Path(path)
    if not path.is_dir():
        return model_card.sha256_file(path)
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(path)).encode() + b"\0" + model_card.sha256_file(f).encode())
    return h.hexdigest()


def _chain(model) -> list:
    """The model's layers in order when it is a chain (each layer fed by the one before)."""
    import keras

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if isinstance(model, keras.Sequential):
        return layers
    prev = model.inputs[0]
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ImportError_("the model must have one image input and one output.")
    for layer in layers:
        # the node of *this* graph (a nested model's own .input/.output are its inner tensors)
        nodes = layer._inbound_nodes
        node = nodes[-1] if nodes else None
        inbound = list(node.input_tensors) if node is not None else []
        if len(nodes) != 1 or len(inbound) != 1 or inbound[0] is not prev:
            return None  # a branching graph: replayed node by node (_replay)
        prev = node.output_tensors[0]
    return layers


def _replay(model, x, last, last_logits):
    """Re-run a functional graph on the tensor ``x`` node by node (in topological order), the
    output layer ``last`` replaced by ``last_logits``. Returns (its output, the names of layers
    with 4-D outputs in order). Works for branches (residual adds, concatenated towers)."""
    import keras
    from keras import tree

    seen = {id(model.inputs[0]): x}
    four_d = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        for node in layer._inbound_nodes:
            ins = node.input_tensors
            if not ins or not all(id(t) in seen for t in ins):
                continue  # a node of another graph (e.g. a shared layer's earlier use)
            if len(node.output_tensors) != 1:
                raise ImportError_(f"layer {layer.name!r} has several outputs; only layers with "
                                   "one output can be replayed.")

            def swap(t):
                return seen[id(t)] if isinstance(t, keras.KerasTensor) else t

            args = tree.map_structure(swap, node.arguments.args)
            kwargs = tree.map_structure(swap, node.arguments.kwargs)
            call = last_logits if layer is last else layer
            out = call(*args, **kwargs)
            seen[id(node.output_tensors[0])] = out
            if len(out.shape) == 4:
                four_d.append(layer.name)
    if id(model.outputs[0]) not in seen:
        raise ImportError_("the model's output could not be reached from its input.")
    return seen[id(model.outputs[0])], four_d


def _output_kind(model, last) -> tuple[str, int]:
    import keras

    n = int(model.outputs[0].shape[-1])
    act = getattr(last, "activation", None)
    name = getattr(act, "__name__", str(act))
    if isinstance(last, keras.layers.Activation) or isinstance(last, keras.layers.Dense):
        if name == "sigmoid" and n == 1:
            return "sigmoid", 1
        if name == "softmax" and n >= 2:
            return "softmax", n
    if isinstance(last, keras.layers.Softmax) and n >= 2:
        return "softmax", n
    raise ImportError_(
        f"the model's output ({n} unit(s), activation {name!r}) is neither one sigmoid unit nor "
        "a softmax over two or more classes.")


def _adapter(inp, channels: int, mode: str):
    from keras import layers

    x = inp
    if channels == 3:
        x = layers.Concatenate(name="adapter_gray_to_rgb")([inp, inp, inp])
    elif channels != 1:
        raise ImportError_(f"the model takes {channels} channels; only 1 (grayscale) or 3 (RGB) "
                           "can be fed from a radiograph.")
    if mode == "rescale":
        return x
    if mode == "tf":
        return layers.Rescaling(2.0, offset=-1.0, name="adapter_scale")(x)
    if mode == "none":
        return layers.Rescaling(255.0, name="adapter_scale")(x)
    if mode == "torch":
        mean, std = _IMAGENET_MEAN[:channels], _IMAGENET_STD[:channels]
        return layers.Normalization(mean=mean.tolist(), variance=(std ** 2).tolist(),
                                    name="adapter_normalise")(x)
    if mode == "caffe":  # BGR order does not matter: the three channels are equal
        x = layers.Rescaling(255.0, name="adapter_scale")(x)
        return layers.Normalization(mean=_CAFFE_MEAN[:channels].tolist(),
                                    variance=[1.0] * channels, name="adapter_normalise")(x)
    raise ImportError_(f"unknown preprocessing {mode!r}; choose one of {', '.join(PREPROCESS_MODES)}.")


def detect_preprocess(layers) -> str | None:
    """"none" when the model scales its own input (a Rescaling/Normalization layer before the
    first layer with weights), else None (it must be stated)."""
    for layer in layers:
        if type(layer).__name__ in _PREPROCESSING_LAYERS:
            return "none"
        if layer.weights:
            return None
    return None


def build_wrapper(model, *, classes: list[str], positive: str, preprocess: str,
                  cam_layer: str | None = None):
    """(wrapper model, facts) — see the module docstring."""
    import keras
    from keras import layers as L

    chain = _chain(model)
    last = chain[-1] if chain is not None else model.outputs[0]._keras_history[0]
    shape = tuple(int(s) for s in model.inputs[0].shape[1:]) if not isinstance(model, keras.Sequential) \
        else tuple(int(s) for s in model.input_shape[1:])
    if len(shape) != 3 or shape[0] != shape[1]:
        raise ImportError_(f"the model takes input of shape {shape}; a square image "
                           "(size, size, channels) is needed.")
    size, channels = shape[0], shape[2]
    kind, n_out = _output_kind(model, last)
    if kind == "sigmoid":
        if len(classes) != 2:
            raise ImportError_("a sigmoid model has two classes: give --classes NEG,POS.")
    elif len(classes) != n_out:
        raise ImportError_(f"the model has {n_out} output classes but --classes names "
                           f"{len(classes)}: {', '.join(classes)}.")
    if positive not in classes:
        raise ImportError_(f"--positive {positive!r} is not one of the classes {', '.join(classes)}.")
    pos = classes.index(positive)

    inp = keras.Input((size, size, 1), name="image")
    y = _adapter(inp, channels, preprocess)
    dense = None
    if isinstance(last, L.Dense):  # the same weights with a linear activation: the logits
        cfg = last.get_config()
        cfg["activation"] = "linear"
        cfg["name"] = f"{last.name}_logits"
        dense = L.Dense.from_config(cfg)
    # (an Activation/Softmax output layer is simply left out: its input are the logits)
    to_logits = dense if dense is not None else (lambda t: t)
    if chain is not None:
        four_d = []
        for layer in chain[:-1]:
            y = layer(y)
            if len(y.shape) == 4:
                four_d.append(layer.name)
        y = to_logits(y)
    else:
        y, four_d = _replay(model, y, last, to_logits)
    if dense is not None:
        dense.set_weights(last.get_weights())
    logits_kind = "logits"
    if kind == "sigmoid":
        sign = 1.0 if pos == 1 else -1.0
        head = L.Dense(2, name="head_two_class", trainable=False)
        z = head(y)
        head.set_weights([np.array([[0.0, sign]], np.float32), np.zeros(2, np.float32)])
        out = L.Activation("softmax", name="probs")(z)
    elif n_out == 2:
        head = L.Dense(2, name="head_two_class", trainable=False)
        z = head(y)
        perm = np.zeros((2, 2), np.float32)
        perm[1 - pos, 0] = perm[pos, 1] = 1.0
        head.set_weights([perm, np.zeros(2, np.float32)])
        out = L.Activation("softmax", name="probs")(z)
    else:  # K > 2: two-class logits [log Σ_{k≠RA} exp y_k, y_RA], from stock layers only
        # log Σ_{k≠RA} exp y_k = y_j − log_softmax(y_others)_j for any other class j, so the
        # two-class softmax is exactly P(RA), and the CAM score (the RA logit before the softmax,
        # the Grad-CAM paper's y^c) is y_RA itself.
        others = [k for k in range(n_out) if k != pos]
        sel = L.Dense(n_out - 1, use_bias=False, name="select_other_classes", trainable=False)
        lso = L.Activation("log_softmax", name="log_softmax_other_classes")(sel(y))
        sel.set_weights([np.eye(n_out, dtype=np.float32)[:, others]])
        both = L.Concatenate(name="logits_and_log_softmax")([y, lso])
        head = L.Dense(2, name="head_two_class", trainable=False)
        z = head(both)
        w = np.zeros((2 * n_out - 1, 2), np.float32)
        w[others[0], 0], w[n_out, 0] = 1.0, -1.0  # y_j − log_softmax(others)_j, j = first other
        w[pos, 1] = 1.0
        head.set_weights([w, np.zeros(2, np.float32)])
        out = L.Activation("softmax", name="probs")(z)
    wrapper = keras.Model(inp, out, name="imported_xray_model")
    if not four_d:
        raise ImportError_("no layer gives a 4-D feature map (batch, h, w, channels): a CAM needs "
                           "a convolutional feature map.")
    cam = cam_layer or four_d[-1]
    if cam not in four_d:
        raise ImportError_(
            f"--cam-layer {cam!r} is not a layer of the model's main chain with a 4-D output; "
            f"choose one of {', '.join(four_d[-6:])} (a nested backbone counts as one layer: its "
            "output is its last feature map).")
    facts = {"input_size": size, "channels": channels, "output": kind, "n_classes": n_out,
             "positive_index": pos, "cam_layer": cam, "cam_layer_inferred": cam_layer is None,
             "cam_score": logits_kind, "four_d_layers": four_d}
    return wrapper, facts


def import_xray(model_path, out_dir, *, classes: list[str] | None = None,
                positive: str = "RA", preprocess: str | None = None,
                cam_layer: str | None = None, who: str | None = None) -> dict:
    """Write ``out_dir/model.keras`` and its card; returns the card."""
    src = Path(model_path)
    model = load_user_model(src)
    chain = _chain(model)
    detected = detect_preprocess(chain if chain is not None else model.layers)
    if preprocess is None:
        if detected is None:
            raise ImportError_(
                "cannot tell how the model expects its pixels scaled: pass --preprocess with one "
                "of " + "; ".join(f"{k} ({v})" for k, v in PREPROCESS_MODES.items()) + ".")
        preprocess, told_pre = detected, False
    else:
        told_pre = True
    if preprocess not in PREPROCESS_MODES:
        raise ImportError_(f"--preprocess {preprocess!r}: choose one of {', '.join(PREPROCESS_MODES)}.")
    classes = list(classes or ["Normal", "RA"])
    wrapper, facts = build_wrapper(model, classes=classes, positive=positive,
                                   preprocess=preprocess, cam_layer=cam_layer)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / MODEL_FILE
    wrapper.save(path)
    try:  # the folder must load the way the apps load it
        import keras

        keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as e:  # noqa: BLE001
        raise ModelError(f"the imported model does not reload safely ({str(e)[:200]}).") from e
    size = facts["input_size"]
    card = {
        "name": f"user-{src.stem}"[:60], "version": "imported", "kind": "xray",
        "task": f"{positive} vs not-{positive} ({', '.join(c for c in classes if c != positive)}) "
                "from a hand radiograph — a user model",
        "architecture": {"arch": "user model", "gradcam_layer": facts["cam_layer"],
                         "feature_layer": facts["cam_layer"], "cam_score": facts["cam_score"],
                         "output": "softmax over {not RA, RA} (adapter + user layers + head)"},
        "parameters": int(wrapper.count_params()),
        "input": {"shape": [size, size, 1], "dtype": "float32", "value_range": [0, 1],
                  "preprocessing": f"ra_models.preprocess.prepare_xray(size={size}), then the "
                                   f"adapter: {facts['channels']} channel(s), '{preprocess}'",
                  "user_model_input": [size, size, facts["channels"]],
                  "modality": "hand radiograph (PA)"},
        "classes": ["not " + positive, positive],
        "user_classes": classes,
        "calibration": {"method": "none yet", "temperature": 1.0,
                        "fitted_on": "run `python -m ra_models calibrate xray` on labelled films"},
        "threshold": 0.5,
        "uncertain_band": 0.15,
        "training_data": {"source": "user model", "note": "trained elsewhere; see provenance"},
        "provenance": {
            "source_file": src.name, "source_sha256": source_digest(src),
            "imported_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "imported_by": who,
            "inferred": {"input_size": size, "channels": facts["channels"],
                         "output": f"{facts['output']} ({facts['n_classes']} unit(s))",
                         **({"preprocess": preprocess} if not told_pre else {}),
                         **({"cam_layer": facts["cam_layer"]} if facts["cam_layer_inferred"] else {})},
            "told": {"classes": classes, "positive": positive,
                     **({"preprocess": preprocess} if told_pre else {}),
                     **({"cam_layer": cam_layer} if cam_layer else {})},
        },
        "metrics": {"data": "none yet: run `python -m ra_models evaluate xray` on your test films"},
        "intended_use": model_card.INTENDED_USE_USER,
        "limitations": [
            "Imported as it is: its accuracy, calibration and out-of-distribution behaviour are "
            "unknown until `calibrate xray` and `evaluate xray` run on labelled films.",
        ],
        "software": model_card.software_versions(),
        "ood": None,
        "file": MODEL_FILE,
        "sha256": model_card.sha256_file(path),
    }
    model_card.save_card(out, card)
    return card
