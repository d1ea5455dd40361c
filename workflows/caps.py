"""What one conversation or batch may grow to, refused typed before anything is paid.

Named constants of the build, not environment settings: the workflow enforces them, and
workflow code must decide the same way on every replay (a value read from a worker's
environment could differ between the worker that ran a step and one that replays it).
Changing one is a code change, deployed as a new build (docs/operations.md). Caps the
activities enforce (the GPT output tokens, RETAKE_OPENAI_MAX_OUTPUT_TOKENS) are settings.
"""

MAX_BATCH_CLIPS = 100  # clips in one RegenerateClipsWorkflow (a job has tens)
MAX_REVISIONS = 20  # plans in one confirm-first conversation; then plan again
MAX_CONVERSATION_CHARS = 32_000  # conversation text one run accepts
PROPOSAL_INSTRUCTIONS = 5  # instructions a proposal repeats (its latest), so history stays linear
