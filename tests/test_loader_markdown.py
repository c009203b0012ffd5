"""Chat answers: which blocks count, their line numbers, and cut-off blocks."""

from __future__ import annotations

from pathlib import Path

from scanner.loaders.inputs import load_inputs

ANSWER = '''Sure! Here is the role:

```hcl
resource "aws_iam_user" "ci" {
  name = "ci"
}
```

Then install the CLI:

```bash
pip install awscli
resource "not" "hcl" {}
```

And the key, in a block without a language:

```
resource "aws_iam_access_key" "ci" {
  user = aws_iam_user.ci.name
}
```

```json
{"not": "terraform"}
```

And finally (the answer was cut off here):

```terraform
resource "aws_iam_role" "broken" {
  name = "x"
'''


def test_blocks_lines_cross_references_and_cut_off_block(tmp_path: Path) -> None:
    md = tmp_path / "answer.md"
    md.write_text(ANSWER)
    loaded = load_inputs([str(md)])
    ((_scope, doc),) = loaded.documents
    by_addr = {r.address: r for r in doc.resources}
    assert set(by_addr) == {"aws_iam_user.ci", "aws_iam_access_key.ci"}
    assert by_addr["aws_iam_user.ci"].line == 4
    assert by_addr["aws_iam_access_key.ci"].line == 19
    assert by_addr["aws_iam_access_key.ci"].line_of("user") == 20
    # block 2 references block 1: they are one module
    assert by_addr["aws_iam_access_key.ci"].attrs["user"] == "ci"
    assert "aws_iam_user.ci" in by_addr["aws_iam_access_key.ci"].refs["user"]
    assert len(doc.errors) == 1
    assert doc.errors[0].file == str(md) and doc.errors[0].line is not None and doc.errors[0].line >= 30


def test_no_code_blocks_is_an_empty_scan_not_an_error(tmp_path: Path) -> None:
    md = tmp_path / "a.md"
    md.write_text("Just use OIDC, no code needed.\n")
    loaded = load_inputs([str(md)])
    assert loaded.errors == [] and loaded.documents[0][1].errors == []
    assert loaded.documents[0][1].resources == []


def test_stdin_is_sniffed() -> None:
    loaded = load_inputs(["-"], stdin_text=ANSWER)
    assert {r.address for r in loaded.documents[0][1].resources} == {"aws_iam_user.ci", "aws_iam_access_key.ci"}
    loaded = load_inputs(["-"], stdin_text='resource "aws_iam_user" "u" {\n  name = "u"\n}\n')
    assert [r.address for r in loaded.documents[0][1].resources] == ["aws_iam_user.u"]
