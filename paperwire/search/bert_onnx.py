"""The all-MiniLM-L6-v2 encoder written out as an ONNX graph from its safetensors weights, without torch.

The graph is BERT as transformers computes it (embeddings, post-LayerNorm encoder layers with exact
erf GELU) so that the install needs only ``onnx``, ``safetensors`` and numpy: torch, which the tracer
needed, was three quarters of the virtual environment. It outputs the token states
(``last_hidden_state``) and, as sentence-transformers computes it, their masked mean normalised to
unit length (``sentence_embedding``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Added to the attention scores of padding: large enough that softmax gives it no weight, small enough
# that adding a score to it stays finite in float32.
_MASKED = -1e9


class _Graph:
    """Accumulates nodes and initializers; each helper returns the name of its output."""

    def __init__(self, weights: dict[str, npt.NDArray[Any]]) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.weights = weights
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def _name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, value: npt.NDArray[Any], hint: str = "const") -> str:
        name = self._name(hint)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def weight(self, key: str, *, transpose: bool = False) -> str:
        value = self.weights[key].astype(np.float32)
        return self.const(value.T if transpose else value, key)

    def op(self, op_type: str, *inputs: str, hint: str = "", **attributes: Any) -> str:
        out = self._name(hint or op_type.lower())
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out], name=out, **attributes))
        return out

    def linear(self, x: str, prefix: str) -> str:
        """A torch Linear: x @ W.T + b, with W stored transposed so quantisation sees a MatMul weight."""
        product = self.op(
            "MatMul", x, self.weight(f"{prefix}.weight", transpose=True), hint=f"{prefix}.matmul"
        )
        return self.op("Add", product, self.weight(f"{prefix}.bias"))

    def layer_norm(self, x: str, prefix: str, eps: float) -> str:
        return self.op(
            "LayerNormalization",
            x,
            self.weight(f"{prefix}.weight"),
            self.weight(f"{prefix}.bias"),
            axis=-1,
            epsilon=eps,
        )

    def gelu(self, x: str) -> str:
        """transformers' "gelu": x * (1 + erf(x / sqrt 2)) / 2, exactly (not the tanh approximation)."""
        scaled = self.op("Div", x, self.const(np.array(np.sqrt(2.0), dtype=np.float32)))
        one_plus = self.op("Add", self.op("Erf", scaled), self.const(np.array(1.0, dtype=np.float32)))
        return self.op("Mul", self.op("Mul", x, one_plus), self.const(np.array(0.5, dtype=np.float32)))


def _attention(g: _Graph, x: str, mask_bias: str, prefix: str, heads: int, head_dim: int) -> str:
    split = g.const(np.array([0, 0, heads, head_dim], dtype=np.int64), "split_heads")

    def project(name: str, perm: list[int]) -> str:
        states = g.op("Reshape", g.linear(x, f"{prefix}.self.{name}"), split)
        return g.op("Transpose", states, perm=perm)

    query = project("query", [0, 2, 1, 3])  # batch, head, token, dim
    key = project("key", [0, 2, 3, 1])  # batch, head, dim, token
    value = project("value", [0, 2, 1, 3])
    scores = g.op("MatMul", query, key)
    scores = g.op("Div", scores, g.const(np.array(np.sqrt(head_dim), dtype=np.float32)))
    probs = g.op("Softmax", g.op("Add", scores, mask_bias), axis=-1)
    context = g.op("Transpose", g.op("MatMul", probs, value), perm=[0, 2, 1, 3])
    merged = g.op("Reshape", context, g.const(np.array([0, 0, heads * head_dim], dtype=np.int64)))
    return g.linear(merged, f"{prefix}.output.dense")


def build_model(model_dir: Path, opset: int) -> Any:
    """The ``onnx.ModelProto`` of the BERT encoder in ``model_dir`` (config.json, model.safetensors)."""
    from onnx import TensorProto, checker, helper
    from safetensors.numpy import load_file

    config = json.loads((model_dir / "config.json").read_text())
    if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
        raise ValueError(f"{model_dir / 'config.json'}: not a BERT model with gelu activations")
    hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
    eps = float(config["layer_norm_eps"])
    weights = load_file(str(model_dir / "model.safetensors"))
    g = _Graph(weights)

    ids, mask, types = INPUTS
    length = g.op(  # 1-D [sequence length]: the first that many rows of the position table
        "Slice",
        g.op("Shape", ids),
        g.const(np.array([1], dtype=np.int64)),
        g.const(np.array([2], dtype=np.int64)),
    )
    positions = g.op(
        "Slice",
        g.weight("embeddings.position_embeddings.weight"),
        g.const(np.array([0], dtype=np.int64)),
        length,
        g.const(np.array([0], dtype=np.int64)),
    )
    embedded = g.op(
        "Add",
        g.op(
            "Add",
            g.op("Gather", g.weight("embeddings.word_embeddings.weight"), ids),
            g.op("Gather", g.weight("embeddings.token_type_embeddings.weight"), types),
        ),
        positions,
    )
    x = g.layer_norm(embedded, "embeddings.LayerNorm", eps)

    mask_f = g.op("Cast", mask, to=TensorProto.FLOAT)
    padding = g.op("Sub", g.const(np.array(1.0, dtype=np.float32)), mask_f)
    mask_bias = g.op(
        "Unsqueeze",
        g.op("Mul", padding, g.const(np.array(_MASKED, dtype=np.float32))),
        g.const(np.array([1, 2], dtype=np.int64)),
    )  # batch, 1, 1, token: broadcast over heads and query tokens

    for layer in range(int(config["num_hidden_layers"])):
        prefix = f"encoder.layer.{layer}"
        attended = _attention(g, x, mask_bias, f"{prefix}.attention", heads, hidden // heads)
        x = g.layer_norm(g.op("Add", attended, x), f"{prefix}.attention.output.LayerNorm", eps)
        inner = g.gelu(g.linear(x, f"{prefix}.intermediate.dense"))
        out = g.linear(inner, f"{prefix}.output.dense")
        x = g.layer_norm(g.op("Add", out, x), f"{prefix}.output.LayerNorm", eps)
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))

    # sentence-transformers' Pooling(mean) then Normalize: sum of unmasked states / their count, then /|v|.
    token_axis = g.const(np.array([1], dtype=np.int64))
    weights_3d = g.op("Unsqueeze", mask_f, g.const(np.array([2], dtype=np.int64)))
    summed = g.op("ReduceSum", g.op("Mul", x, weights_3d), token_axis, keepdims=0)
    count = g.op(
        "Max",
        g.op("ReduceSum", weights_3d, token_axis, keepdims=0),
        g.const(np.array(1e-9, dtype=np.float32)),
    )
    mean = g.op("Div", summed, count)
    norm = g.op(
        "Max",
        g.op("ReduceL2", mean, axes=[1], keepdims=1),
        g.const(np.array(1e-12, dtype=np.float32)),
    )
    g.nodes.append(helper.make_node("Div", [mean, norm], ["sentence_embedding"]))

    dims = ["batch", "sequence"]
    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info(name, TensorProto.INT64, dims) for name in INPUTS],
        [
            helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, [*dims, hidden]),
            helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden]),
        ],
        g.initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="paperwire"
    )
    model.ir_version = 8  # what every onnxruntime since 1.14 reads
    checker.check_model(model)
    return model


def write_model(model_dir: Path, target: Path, opset: int) -> None:
    from onnx import save_model

    save_model(build_model(model_dir, opset), str(target))
