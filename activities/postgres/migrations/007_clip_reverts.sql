-- Versions and revert (issue 16). Nothing is ever deleted: a revert makes an earlier
-- clip_versions row current again and is itself recorded here. revert_id (the revert
-- workflow's run) makes a retried revert activity a no-op.
CREATE TABLE IF NOT EXISTS clip_reverts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id        UUID NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    clip_index    INTEGER NOT NULL CHECK (clip_index >= 0),
    from_version  INTEGER,           -- the version that was current (NULL: none was)
    to_version    INTEGER NOT NULL,  -- the version made current
    revert_id     TEXT NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS clip_reverts_clip ON clip_reverts (job_id, clip_index);
