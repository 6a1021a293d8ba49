"""Names of coders that are not people.

A coding's ``coder`` is a person's name (``qualcode code --coder``, review, reconcile) or
:data:`RULES_CODER`, the name under which ``autocode`` records the codebook rules'
proposals. Review, manual coding, evaluation and codebook revisions all tell rule codings
from human ones by it, so it is defined once, here, in a module that imports nothing.
"""

from __future__ import annotations

#: The coder of every coding proposed by the codebook's rules (``autocode``).
RULES_CODER = "rules"
