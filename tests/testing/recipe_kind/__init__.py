"""A kind that exists only in tests, to prove the recipe "one package plus one registry line":
its builder, what it provides and the facts it asks for live here, in its own ``spec``
module (see tests/unit/test_kind_recipe.py); the model is never told about it.
"""
