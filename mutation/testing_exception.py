"""A pytest plugin for mutation runs: cosmic-ray's exception name, defined.

cosmic-ray's ExceptionReplacer turns `except ValueError:` into
`except CosmicRayTestingException:` but does not define that name in the mutated module,
so any exception reaching the handler raises NameError and the mutant counts as killed
whatever the tests assert (found by the veo_backend run, issue 35, session 8). Defined
here as a builtin, the handler simply stops catching, and only a test that notices that
kills the mutant. Loaded by mutation/run.py's test command (`-p mutation.testing_exception`).
"""

from __future__ import annotations

import builtins

from cosmic_ray.exceptions import CosmicRayTestingException

builtins.CosmicRayTestingException = CosmicRayTestingException
