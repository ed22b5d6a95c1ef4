"""The HTTP face of vctrace (``vctrace serve``): a FastAPI application whose routes parse the
request, call :mod:`vctrace.app` and render the result — no domain logic here.

- :mod:`.app`: the application factory (middleware, error handling, routers);
- :mod:`.auth`: bearer tokens and roles (``Reader``/``Writer`` dependencies);
- :mod:`.problems`: every error as ``application/problem+json`` (RFC 9457);
- :mod:`.limits`: the request body limit;
- :mod:`.metrics`: Prometheus metrics of the service;
- :mod:`.routes`: one module per resource, each with a ``router`` (found automatically);
- :mod:`.server`: running it under uvicorn.
"""
