"""The live dashboard (``reconciler ui``): a small ASGI app served by reconciler itself.

:mod:`.security` owns the listen address, token and CSRF rules (pure); :mod:`.hub` the one
engine poll loop shared by every client; :mod:`.views` turns engine values into masked JSON;
:mod:`.actions` runs apply/restart/stop through the same Project pipeline, lease and policy as
the CLI; :mod:`.app` wires the Starlette routes; ``static/`` holds the page (no CDN, no build).
Starlette and uvicorn are imported only here, never at CLI start-up.
"""
