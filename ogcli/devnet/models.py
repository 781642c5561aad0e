"""Small real ONNX models the devnet publishes, generated here from fixed seeds (nothing downloaded).

The bytes are reproducible: the same ogcli version always yields the same files and so the same
CIDs, which is what lets a re-seeded devnet keep its model ids and a test pin them.
"""

from __future__ import annotations

import functools


def make_mlp(name: str, doc: str, layer_sizes: list[int], seed: int, softmax: bool) -> bytes:
    # onnx and numpy load only when a devnet is being seeded.
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes, initializers = [], []
    current = "features"
    for layer, (n_in, n_out) in enumerate(zip(layer_sizes, layer_sizes[1:])):
        weight = rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, n_out)).astype(np.float32)
        bias = rng.normal(0.0, 0.05, size=(n_out,)).astype(np.float32)
        initializers += [numpy_helper.from_array(weight, f"W{layer}"), numpy_helper.from_array(bias, f"B{layer}")]
        out = f"h{layer}"
        nodes.append(helper.make_node("Gemm", [current, f"W{layer}", f"B{layer}"], [out], name=f"dense{layer}"))
        current = out
        if layer < len(layer_sizes) - 2:
            nodes.append(helper.make_node("Relu", [current], [f"{current}_relu"], name=f"relu{layer}"))
            current = f"{current}_relu"
    final = "probabilities" if softmax else "prediction"
    if softmax:
        nodes.append(helper.make_node("Softmax", [current], [final], axis=1))
    else:
        nodes.append(helper.make_node("Identity", [current], [final]))
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, layer_sizes[0]])],
        [helper.make_tensor_value_info(final, TensorProto.FLOAT, [1, layer_sizes[-1]])],
        initializer=initializers,
        doc_string=doc,
    )
    model = helper.make_model(
        graph, producer_name="ogcli-devnet", producer_version="1", opset_imports=[helper.make_opsetid("", 17)]
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString(deterministic=True)


@functools.cache
def seed_models() -> list[tuple[str, bytes]]:
    """(name, ONNX bytes) of every model the devnet publishes."""
    return [
        (
            "eth-volatility-mlp",
            make_mlp("eth-volatility-mlp", "1h ETH realized-volatility forecast from 8 return features", [8, 16, 1], 7, False),
        ),
        (
            "wallet-risk-classifier",
            make_mlp("wallet-risk-classifier", "low/medium/high risk from 4 wallet-activity features", [4, 8, 3], 11, True),
        ),
        (
            "sentiment-tiny",
            make_mlp("sentiment-tiny", "negative/neutral/positive from 16 bag-of-words counts", [16, 3], 13, True),
        ),
    ]


CHAT_MODEL_NAME = "ogcli-tiny-chat"


def chat_model() -> tuple[str, bytes]:
    """(name, bytes) of the devnet's chat model (see ogcli.node.tiny_chat)."""
    from ogcli.node import tiny_chat

    return CHAT_MODEL_NAME, tiny_chat.build()
