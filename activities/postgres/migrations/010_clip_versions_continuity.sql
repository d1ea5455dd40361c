-- Issue 30: which neighbouring frames a version was joined to (continuity with Veo's
-- first/last frames): {"used", "keep", "first_frame", "last_frame"}, each frame naming the
-- clip, version, end and hash it was taken from. NULL: no continuity (and every older row).
ALTER TABLE clip_versions ADD COLUMN IF NOT EXISTS continuity JSONB;
