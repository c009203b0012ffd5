"""Extract Terraform from chat answers: fenced Markdown code blocks."""

from __future__ import annotations

import re

from scanner.loaders.hcl import Chunk
from scanner.loaders.hcl_parse import parse_text

HCL_LANGS = {"hcl", "terraform", "tf", "hcl2", "opentofu"}
TOP_LEVEL = {"resource", "data", "variable", "locals", "provider", "output", "module", "terraform"}
#: the opening line of a Terraform block, as a cut-off unlabelled block still shows it
_BLOCK_HEADER_RE = re.compile(
    r'^\s*(?:(?:resource|data)\s+"?[\w-]+"?\s+"?[\w-]+"?|(?:variable|output|provider|module)\s+"?[\w-]+"?'
    r"|locals|terraform)\s*\{",
    re.MULTILINE,
)


def extract_chunks(text: str, file: str) -> list[Chunk]:
    """HCL code blocks with their line offsets in the Markdown file.

    Labelled hcl/terraform/tf blocks are always taken (so a cut-off block becomes
    a reported error). Unlabelled blocks are taken when they parse as HCL with at
    least one Terraform top-level block, or when they do not parse but start a
    line with one (a cut-off answer: its error is reported, not skipped silently).
    Other languages are skipped.
    """
    from markdown_it import MarkdownIt

    chunks: list[Chunk] = []
    for token in MarkdownIt("commonmark").parse(text):
        if token.type != "fence" or token.map is None:
            continue
        lang = (token.info.split() or [""])[0].strip().lower().lstrip("{.").rstrip("}")
        # map[0] is the opening fence line (0-based); content starts on the next line.
        chunk = Chunk(file, token.content, token.map[0] + 1)
        if lang in HCL_LANGS:
            chunks.append(chunk)
        elif lang == "":
            blocks, errors = parse_text(token.content, file, chunk.line_offset)
            if (not errors and any(b.kind in TOP_LEVEL for b in blocks)) or (
                errors and _BLOCK_HEADER_RE.search(token.content)
            ):
                chunks.append(chunk)
    return chunks
