"""Renderers: values in, text out; they never print and never import heavy libraries here.

Plan renderers (``text``, ``json``, ``markdown``, ``graph``) share the masking and value
formatting of :mod:`reconciler.render.plan_values`; ``plan_schema`` holds the pydantic model
that ``schemas/plan.schema.json`` is generated from. Import the module you need directly.
"""
