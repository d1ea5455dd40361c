-- Jobs, their pipeline stages, and the versions of each regenerated clip.
-- IF NOT EXISTS: an existing pipeline database may already hold jobs/job_stages.

CREATE TABLE IF NOT EXISTS jobs (
    id          UUID PRIMARY KEY,
    status      TEXT NOT NULL DEFAULT 'completed',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per job and stage; `metadata` is the stage's output. Some writers store
-- it as a JSON object, others as a jsonb string holding JSON text: readers accept both.
CREATE TABLE IF NOT EXISTS job_stages (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id      UUID NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    stage_name  TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'completed',
    metadata    JSONB,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT job_stages_job_stage_unique UNIQUE (job_id, stage_name)
);

-- Every version of a clip: version 1 is the original, each regeneration adds one.
-- regeneration_id makes the persist activity idempotent under retry.
CREATE TABLE IF NOT EXISTS clip_versions (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id           UUID NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    clip_index       INTEGER NOT NULL CHECK (clip_index >= 0),
    version_number   INTEGER NOT NULL CHECK (version_number >= 1),
    video_url        TEXT,
    prompt           TEXT,
    negative_prompt  TEXT,
    user_instruction TEXT,
    generation_seed  BIGINT,
    temperature      DOUBLE PRECISION,
    is_current       BOOLEAN NOT NULL DEFAULT false,
    regeneration_id  TEXT UNIQUE,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT clip_versions_version_unique UNIQUE (job_id, clip_index, version_number)
);

-- At most one current version per clip.
CREATE UNIQUE INDEX IF NOT EXISTS clip_versions_one_current
    ON clip_versions (job_id, clip_index) WHERE is_current;

-- The ledger of paid video submissions: a retried submit finds its operation here
-- instead of paying for a second generation.
CREATE TABLE IF NOT EXISTS veo_submissions (
    regeneration_id TEXT PRIMARY KEY,
    job_id          UUID NOT NULL,
    clip_index      INTEGER NOT NULL,
    operation_name  TEXT NOT NULL,
    backend         TEXT NOT NULL CHECK (backend IN ('veo', 'preview')),
    model           TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
