"""The ONNX Runtime backend: same labels as torch at fp32, close at int8, cached export."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from stancewire.models.backends import load_backend
from stancewire.models.backends import onnx as onnx_backend
from stancewire.models.backends.onnx import (
    FP32_FILE,
    Int8Recipe,
    OnnxQuoteClassifier,
    fp32_matmuls,
    int8_file,
)
from stancewire.models.classifier import ClassifyInput, QuoteClassifier
from stancewire.models.pipeline import load_classifier

ITEMS = [
    ClassifyInput("US forces must leave Iraq now", "He said US forces must leave Iraq now."),
    ClassifyInput("The factions are a danger to the state"),
    ClassifyInput("We met to discuss the schedule", "Officials said they met on Monday."),
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


def test_fp32_onnx_matches_torch(tiny_model_dir: Path, cache: Path) -> None:
    torch_clf = QuoteClassifier.load(tiny_model_dir)
    onnx_clf = OnnxQuoteClassifier.load(tiny_model_dir, quantize=False, cache_dir=cache)
    expected = torch_clf.logits(ITEMS)
    got = onnx_clf.logits(ITEMS)
    for task in torch_clf.tasks:
        assert got[task].shape == expected[task].shape
        assert (got[task] - expected[task]).abs().max().item() < 1e-4
    assert [p["sentiment"].label for p in onnx_clf.predict(ITEMS)] == [
        p["sentiment"].label for p in torch_clf.predict(ITEMS)
    ]


def test_int8_export_is_cached(tiny_model_dir: Path, cache: Path) -> None:
    clf = OnnxQuoteClassifier.load(tiny_model_dir, quantize=True, cache_dir=cache)
    (export_dir,) = (cache / "onnx").iterdir()
    fp32, int8 = export_dir / FP32_FILE, export_dir / int8_file()
    assert fp32.is_file()
    # the tiny model is mostly its (never quantised) embedding table, so the file is not
    # smaller; its quantised matmul weights are int8
    quantized = [t for t in onnx.load(str(int8)).graph.initializer if t.name.endswith("_quantized")]
    assert len(quantized) == 12 + 6 and {t.data_type for t in quantized} == {TensorProto.INT8}
    stamp = int8.stat().st_mtime_ns
    OnnxQuoteClassifier.load(tiny_model_dir, quantize=True, cache_dir=cache)
    assert int8.stat().st_mtime_ns == stamp  # loaded from the cache, not exported again
    preds = clf.predict(ITEMS)
    assert len(preds) == 3 and set(preds[0]) == {*clf.targets, "sentiment"}
    assert clf.predict([]) == []
    assert clf.model_info().backend == "onnx" and clf.model_info().details["int8"] is True


def test_selected_by_name(tiny_model_dir: Path, cache: Path, monkeypatch) -> None:
    monkeypatch.setenv("STANCEWIRE_CACHE_DIR", str(cache))
    clf = load_classifier("onnx", model_dir=tiny_model_dir)
    assert isinstance(clf, OnnxQuoteClassifier)
    fp32 = load_backend("onnx", model=tiny_model_dir, quantize=False)
    assert isinstance(fp32, OnnxQuoteClassifier) and not fp32.quantized


def _weight_matmuls(path: Path) -> dict[str, str]:
    """Op type of every weight matmul of an exported graph, by its fp32 node name."""
    model = onnx.load(str(path))
    weights = {t.name for t in model.graph.initializer}
    out = {}
    for node in model.graph.node:
        if node.op_type == "MatMul" and node.input[1] in weights:
            out[node.name] = "MatMul"
        elif node.op_type == "MatMulInteger":
            out[node.name.removesuffix("_quant")] = "MatMulInteger"
    return out


PARTIAL = Int8Recipe(fp32_heads=True, fp32_layers=(0,), fp32_parts=("output/dense",))


def test_shipped_recipe_quantises_every_weight_matmul(tiny_model_dir: Path, cache: Path) -> None:
    OnnxQuoteClassifier.load(tiny_model_dir, quantize=True, cache_dir=cache)
    (export_dir,) = (cache / "onnx").iterdir()
    # 2 layers of 6 weight matmuls (q, k, v, attention out, FFN in/out) + 3 two-layer heads
    assert Counter(_weight_matmuls(export_dir / int8_file()).values()) == {"MatMulInteger": 18}


def test_partial_recipe_keeps_heads_and_first_ffn_output_fp32(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_backend, "INT8_RECIPE", PARTIAL)
    OnnxQuoteClassifier.load(tiny_model_dir, quantize=True, cache_dir=tmp_path)
    (export_dir,) = (tmp_path / "onnx").iterdir()
    ops = _weight_matmuls(export_dir / int8_file())
    # 2 layers of 6 weight matmuls (q, k, v, attention out, FFN in/out) + 3 two-layer heads,
    # whose Gemms ORT's quantiser rewrites as <name>_MatMul + Add
    heads = {
        f"/{t}/{t}.{i}/Gemm_MatMul"
        for t in ("us_presence", "militias", "sentiment")
        for i in (0, 3)
    }
    assert len(ops) == 12 + 6
    assert {name for name, op in ops.items() if op == "MatMul"} == {
        "/encoder/encoder/layer.0/output/dense/MatMul",
        *heads,
    }
    assert Counter(ops.values())["MatMulInteger"] == 11
    graph_ops = Counter(n.op_type for n in onnx.load(str(export_dir / int8_file())).graph.node)
    assert graph_ops["DynamicQuantizeLinear"] > 0
    assert graph_ops["MatMul"] == 1 + 6 + 2 * 2  # kept + heads + 2 attention products a layer


def _graph(layers: int) -> onnx.ModelProto:
    """A stand-in BERT graph: the exporter's node names, one weight per matmul."""
    nodes, inits = [], []
    parts = ["attention/self/query", "attention/output/dense", "intermediate/dense", "output/dense"]
    for layer in range(layers):
        for part in parts:
            name = f"/encoder/encoder/layer.{layer}/{part}/MatMul"
            inits.append(helper.make_tensor(f"w{len(inits)}", TensorProto.FLOAT, [1, 1], [1.0]))
            nodes.append(helper.make_node("MatMul", ["x", inits[-1].name], [name + "_out"], name))
        # an activation x activation product (attention scores): never a weight matmul
        scores = f"/encoder/encoder/layer.{layer}/attention/self/MatMul"
        nodes.append(helper.make_node("MatMul", ["x", "x"], [scores + "_out"], scores))
    inits.append(helper.make_tensor("head_w", TensorProto.FLOAT, [1, 1], [1.0]))
    nodes.append(helper.make_node("Gemm", ["x", "head_w"], ["logits"], "/sentiment/Gemm"))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1])
    return helper.make_model(helper.make_graph(nodes, "g", [x], [], inits))


@pytest.mark.parametrize("layers", [2, 6, 12])
def test_fp32_matmuls_follow_the_depth(layers: int) -> None:
    graph = _graph(layers)
    last = layers - 1
    assert fp32_matmuls(graph) == []
    assert fp32_matmuls(graph, PARTIAL) == [
        "/encoder/encoder/layer.0/output/dense/MatMul",
        "/sentiment/Gemm_MatMul",
    ]
    recipe = Int8Recipe(
        fp32_heads=False, fp32_layers=(0, -1), fp32_parts=("intermediate/dense", "output/dense")
    )
    assert fp32_matmuls(graph, recipe) == [
        "/encoder/encoder/layer.0/intermediate/dense/MatMul",
        "/encoder/encoder/layer.0/output/dense/MatMul",
        f"/encoder/encoder/layer.{last}/intermediate/dense/MatMul",
        f"/encoder/encoder/layer.{last}/output/dense/MatMul",
    ]
    assert fp32_matmuls(graph, Int8Recipe(fp32_heads=False, fp32_layers=())) == []


def test_unrecognised_layers_quantise_everything(caplog: pytest.LogCaptureFixture) -> None:
    graph = _graph(2)
    for node in graph.graph.node:
        node.name = node.name.replace("layer.", "block_")
    assert fp32_matmuls(graph, PARTIAL) == ["/sentiment/Gemm_MatMul"]
    assert "no encoder layers recognised" in caplog.text


def test_recipe_change_is_not_served_from_the_cache(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    OnnxQuoteClassifier.load(tiny_model_dir, quantize=True, cache_dir=tmp_path)
    (export_dir,) = (tmp_path / "onnx").iterdir()
    first = export_dir / int8_file()
    stamp = first.stat().st_mtime_ns
    assert int8_file(PARTIAL) != first.name
    monkeypatch.setattr(onnx_backend, "INT8_RECIPE", PARTIAL)
    OnnxQuoteClassifier.load(tiny_model_dir, quantize=True, cache_dir=tmp_path)
    second = export_dir / int8_file()
    assert second.name == int8_file(PARTIAL) and second.is_file()
    assert Counter(_weight_matmuls(second).values()) == {"MatMulInteger": 11, "MatMul": 7}
    assert first.stat().st_mtime_ns == stamp  # the older recipe's file is left as it was
