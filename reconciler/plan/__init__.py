"""Stage 6, plan: changes -> a :class:`Plan` (a networkx DAG) built in named steps.

* :mod:`reconciler.plan.core` -- the :class:`Plan` value, its order and its inputs hash;
* :mod:`reconciler.plan.steps` -- :func:`build` and the ordered build steps;
* :mod:`reconciler.plan.codec` -- :func:`to_json` / :func:`from_json` for saved plans.
"""

from reconciler.plan.codec import from_json, to_json
from reconciler.plan.core import FORMAT_VERSION, Plan
from reconciler.plan.steps import STEPS, build

__all__ = ["FORMAT_VERSION", "STEPS", "Plan", "build", "from_json", "to_json"]
