"""Any input gives a document or load errors, never an exception (property tests)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.loaders.hcl import Chunk, load_chunks
from scanner.loaders.inputs import load_inputs
from scanner.loaders.markdown import extract_chunks
from scanner.loaders.plan import load_plan

_ATOMS = st.sampled_from(
    [
        '"x"',
        "1",
        "true",
        "null",
        "var.a",
        "local.b",
        "aws_iam_role.r.name",
        "data.x.y.json",
        "each.value",
        "count.index",
        '"${var.a}-x"',
        "[1, 2]",
        '{ a = "b" }',
        "-1",
        "1.5",
    ]
)
_FUNCS = st.sampled_from(
    [
        "merge",
        "jsonencode",
        "jsondecode",
        "concat",
        "lookup",
        "format",
        "join",
        "split",
        "coalesce",
        "try",
        "element",
        "length",
        "flatten",
        "tomap",
        "unknownfn",
        "timeadd",
    ]
)


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 3:
        return draw(_ATOMS)
    kind = draw(st.integers(0, 6))
    sub = lambda: draw(expressions(depth + 1))  # noqa: E731
    if kind == 0:
        return draw(_ATOMS)
    if kind == 1:
        args = ", ".join(sub() for _ in range(draw(st.integers(0, 3))))
        return f"{draw(_FUNCS)}({args})"
    if kind == 2:
        return f"[{', '.join(sub() for _ in range(draw(st.integers(0, 3))))}]"
    if kind == 3:
        return "{ " + ", ".join(f"k{i} = {sub()}" for i in range(draw(st.integers(0, 3)))) + " }"
    if kind == 4:
        return f"{sub()} {draw(st.sampled_from(['+', '-', '==', '&&', '||', '<', '/', '%']))} {sub()}"
    if kind == 5:
        return f"{sub()} ? {sub()} : {sub()}"
    return f"{sub()}[{sub()}]"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(expressions(), min_size=1, max_size=4))
def test_evaluator_never_raises(exprs: list[str]) -> None:
    body = "\n".join(f"  a{i} = {e}" for i, e in enumerate(exprs))
    text = f'locals {{\n  b = {exprs[0]}\n}}\nresource "aws_iam_role" "r" {{\n{body}\n  tags = local.b\n}}\n'
    doc = load_chunks([Chunk("f.tf", text)], {"f.tf": text.splitlines()})
    assert doc.resources or doc.errors


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_as_hcl_and_markdown(text: str) -> None:
    load_chunks([Chunk("f.tf", text)], {"f.tf": text.splitlines()})
    for chunk in extract_chunks(text, "a.md"):
        load_chunks([chunk], {})


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["resource_changes", "configuration", "output_changes", "format_version", "planned_values", "errored"]
        ),
        _JSON,
        max_size=5,
    ),
    st.lists(
        st.fixed_dictionaries(
            {"address": st.text(max_size=10), "change": _JSON},
            optional={"type": _JSON, "mode": _JSON, "module_address": _JSON},
        ),
        max_size=3,
    ),
)
def test_malformed_plans_never_raise(top: dict[str, object], changes: list[object]) -> None:
    data = {"format_version": "1.2", "planned_values": {}, **top}
    if "resource_changes" not in top:
        data["resource_changes"] = changes
    load_plan(data, json.dumps(data), "p.json")


def test_deeply_nested_json_is_an_error_not_a_crash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    loaded = load_inputs([str(deep)])
    assert loaded.errors and loaded.errors[0].file == str(deep)


def test_deeply_nested_hcl_is_an_error_not_a_crash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "main.tf").write_text("locals {\n  x = " + "[" * 3000 + "]" * 3000 + "\n}\n")
    loaded = load_inputs([str(tmp_path)])
    errors = loaded.errors + [e for _, d in loaded.documents for e in d.errors]
    assert errors or loaded.documents
