-- Issue 17: what Retake has seen of each generation's time, for adaptive polling, on the
-- ledger's one row per accepted operation (veo_operations, migration 003): created_at is
-- when Veo accepted it; last_running_at the last status check that saw it running;
-- finished_at the first that saw it done (the true finish lies between the two);
-- finished_state what that check saw; status_checks the checks made.
ALTER TABLE veo_operations
    ADD COLUMN IF NOT EXISTS last_running_at TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS finished_at     TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS finished_state  TEXT,
    ADD COLUMN IF NOT EXISTS status_checks   INTEGER NOT NULL DEFAULT 0;

CREATE INDEX IF NOT EXISTS veo_operations_recent_successes
    ON veo_operations (backend, finished_at DESC)
    WHERE finished_state = 'succeeded';
