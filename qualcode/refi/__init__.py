"""REFI-QDA exchange: projects (``.qdpx``) and codebooks (``.qdc``), both ways.

REFI-QDA 1.0 is the exchange standard of NVivo, ATLAS.ti, MAXQDA, QualCoder and qc. Its
schemas are loose and its implementations differ (offsets in code points, UTF-16 code
units or with CRLF counted once; texts with or without a BOM; ``Sources/`` or
``sources/``), so reading converts and verifies every coding against its text, and writing
follows what the strictest client (QualCoder) needs to import a file without loss.

``writer`` builds ``.qde``/``.qdc`` XML and the ``.qdpx`` package from a project;
``reader`` opens a package safely and turns it into documents, codes, codings, cases and
memos. Both share the namespace and identifiers below.
"""

from __future__ import annotations

#: The XML namespace of REFI-QDA 1.0 projects (``project.qde``).
PROJECT_NS = "urn:QDA-XML:project:1.0"
#: The XML namespace of REFI-QDA 1.0 codebooks (``.qdc``).
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
