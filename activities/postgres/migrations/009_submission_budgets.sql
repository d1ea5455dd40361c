-- Budgets (activities/video/budgets.py): what each reserved submission costs, for whom,
-- and whether Veo gave it back (filtered or failed without a video).
ALTER TABLE veo_submissions
    ADD COLUMN IF NOT EXISTS cost_usd NUMERIC(12, 2),
    ADD COLUMN IF NOT EXISTS account_id TEXT,
    ADD COLUMN IF NOT EXISTS cost_released BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS veo_submissions_created_at ON veo_submissions (created_at);
CREATE INDEX IF NOT EXISTS veo_submissions_account ON veo_submissions (account_id, created_at);
