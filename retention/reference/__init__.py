"""The independent pandas reference implementation of the marts (the oracle).

Written from docs/design/CONTRACT.md, docs/design/METRICS.md and
docs/metric_decisions.md, never from the SQL models, and importing nothing
else of ``retention`` (tests/unit/test_reference_is_independent.py): that
independence is what makes "the marts equal the reference" a real check.
"""

from retention.reference._core import *  # noqa: F403
from retention.reference._core import compute_marts, read_raw  # noqa: F401
from retention.reference._value import *  # noqa: F403
from retention.reference._value import compute_value_marts, ntile  # noqa: F401
