-- Which decision rules made each saved version: workflows/decisions/policy_version.py.
-- NULL for versions saved before policy versions existed and for version 1 (the
-- pipeline's original clip, which no Retake policy planned).
ALTER TABLE clip_versions ADD COLUMN IF NOT EXISTS policy_version INTEGER;
