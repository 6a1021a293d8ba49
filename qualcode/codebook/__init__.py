"""Codebook files: model, parser (validation with line numbers, building), loading."""

from qualcode.codebook.load import (
    canonical_content,
    codebook_tree_json,
    compute_content_hash,
    load_codebook,
    parse_codebook_text,
)
from qualcode.codebook.model import (
    RULE_KINDS,
    UNITS,
    Code,
    Codebook,
    Rule,
    Term,
    parse_term,
    term_error,
)
from qualcode.codebook.parser import (
    CodebookError,
    Problem,
    lint_codebook,
    lint_codebook_text,
)

__all__ = [
    "RULE_KINDS",
    "UNITS",
    "Code",
    "Codebook",
    "CodebookError",
    "Problem",
    "Rule",
    "Term",
    "canonical_content",
    "codebook_tree_json",
    "compute_content_hash",
    "lint_codebook",
    "lint_codebook_text",
    "load_codebook",
    "parse_codebook_text",
    "parse_term",
    "term_error",
]
