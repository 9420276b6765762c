"""One router per endpoint family; app.main lists them explicitly (``ROUTERS``).

A router is thin: validate the body, check the work limits, build core objects (app/media.py),
call the core function that returns a :class:`core.checks.Report`, and let
:meth:`app.service.Service.respond` cache and serialise it. No router imports another router.
"""
