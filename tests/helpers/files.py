"""Files the tests write and read: the repository's sample transcripts, and ``write``."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "transcripts_sample"

# A short transcript in the shape most tests need: a title line, two speakers, a back-channel
# in brackets inside a turn, a laugh.
INTERVIEW = (
    "Entretien fictif – test\n"
    "\n"
    "Enquêtrice : Vous pouvez me parler du Louvre-Lens ?\n"
    "Mme Dufour : Alors euh, le musée, ça a changé l'image du bassin minier.\n"
    "Les touristes viennent, mais les mineurs, eux, [Enquêtrice : mhm] ils se sentent oubliés.\n"
    "Enquêtrice : Et le classement Unesco ?\n"
    "Mme Dufour : C'est une fierté. [rires] Mon père descendait à la fosse.\n"
)


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    """Write ``content`` (encoded as ``encoding`` if text) to ``path``, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return path


def samples(pattern: str) -> list[Path]:
    """The sample transcripts whose names match ``pattern``; there must be some.

    The samples are part of the repository: a pattern that finds nothing is a broken test
    (a parametrize over an empty list would silently run nothing), so it fails loudly."""
    found = sorted(SAMPLES.glob(pattern))
    assert found, f"no file matches {pattern} in {SAMPLES}"
    return found


def sample(pattern: str) -> Path:
    """The one sample transcript whose name matches ``pattern``."""
    found = samples(pattern)
    assert len(found) == 1, found
    return found[0]
