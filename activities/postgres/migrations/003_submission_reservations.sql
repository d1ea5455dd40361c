-- Reserve, then submit, then record (issue 13).
--
-- veo_submissions becomes the reservation of one regeneration id: its row is written
-- (state 'submitting') BEFORE the paid POST, so a later attempt that finds a
-- 'submitting' row without an operation knows a POST may have been paid for and
-- counts it, instead of assuming nothing happened. 'open' means the last POST was
-- clearly refused (nothing in flight, nothing paid); 'accepted' means the operation
-- is recorded. `request` is what was sent to Veo (the echo the version is saved from).
ALTER TABLE veo_submissions ALTER COLUMN operation_name DROP NOT NULL;
ALTER TABLE veo_submissions
    ADD COLUMN state TEXT NOT NULL DEFAULT 'accepted'
        CHECK (state IN ('open', 'submitting', 'accepted')),
    ADD COLUMN request JSONB,
    ADD COLUMN submit_attempts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN possible_duplicates INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE veo_submissions
    ADD CONSTRAINT veo_submissions_accepted_has_operation
        CHECK (state <> 'accepted' OR operation_name IS NOT NULL);

-- Every operation Veo accepted, one row each (never dropped on a conflict), and what
-- became of it. 'unrecorded' marks operations accepted before this migration.
CREATE TABLE IF NOT EXISTS veo_operations (
    operation_name  TEXT PRIMARY KEY,
    regeneration_id TEXT NOT NULL REFERENCES veo_submissions (regeneration_id),
    job_id          UUID NOT NULL,
    clip_index      INTEGER NOT NULL,
    backend         TEXT NOT NULL CHECK (backend IN ('veo', 'preview')),
    request         JSONB,
    outcome         TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN (
                        'pending', 'succeeded', 'filtered', 'failed', 'collected_late',
                        'unrecorded')),
    video_url       TEXT,
    version_number  INTEGER,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS veo_operations_clip ON veo_operations (job_id, clip_index);

INSERT INTO veo_operations (operation_name, regeneration_id, job_id, clip_index, backend, outcome,
                            created_at)
SELECT operation_name, regeneration_id, job_id, clip_index, backend, 'unrecorded', created_at
FROM veo_submissions
ON CONFLICT (operation_name) DO NOTHING;
