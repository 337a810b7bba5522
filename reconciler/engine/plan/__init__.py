"""Stage 6, plan: changes -> a :class:`Plan` (a networkx DAG) built in named steps.

* :mod:`reconciler.engine.plan.core` -- the :class:`Plan` value, its order and its inputs hash;
* :mod:`reconciler.engine.plan.steps` -- :func:`build` and the ordered build steps;
* :mod:`reconciler.engine.plan.codec` -- :func:`to_json` / :func:`from_json` for saved plans.
"""

from reconciler.engine.plan.codec import from_json, to_json
from reconciler.engine.plan.core import FORMAT_VERSION, Plan
from reconciler.engine.plan.steps import STEPS, build

__all__ = ["FORMAT_VERSION", "STEPS", "Plan", "build", "from_json", "to_json"]
