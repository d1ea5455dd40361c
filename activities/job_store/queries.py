"""The SQL behind JobStoreActivities, kept apart so the activity code reads as a story.

Every statement uses bound parameters. The helper functions retake_stage_json,
retake_stage_list and retake_array come from activities/postgres/migrations/ (002, 004).
"""

# One round trip: everything one clip's context needs, and nothing of the other clips.
# $1 job id, $2 clip index. Each stage's state is reported so the caller can say
# exactly what is missing or broken.
CLIP_CONTEXT = """
WITH st AS (
    SELECT stage_name, metadata IS NULL AS is_null, retake_stage_json(metadata) AS md
    FROM job_stages
    WHERE job_id = $1
      AND stage_name IN ('video_generator', 'prompt_generator', 'scene_planner', 'reference_generator')
),
vg AS (SELECT md FROM st WHERE stage_name = 'video_generator'),
pg AS (SELECT md FROM st WHERE stage_name = 'prompt_generator'),
sp AS (SELECT md FROM st WHERE stage_name = 'scene_planner' AND jsonb_typeof(md) = 'object'),
rg AS (SELECT md FROM st WHERE stage_name = 'reference_generator' AND jsonb_typeof(md) = 'object'),
clips AS (SELECT retake_stage_list(md, 'clips') AS arr FROM vg WHERE jsonb_typeof(md) = 'object'),
prompts AS (SELECT retake_stage_list(md, 'clip_prompts') AS arr FROM pg WHERE jsonb_typeof(md) = 'object'),
script AS (
    SELECT s FROM sp, jsonb_array_elements(retake_array(sp.md -> 'clip_scripts')) AS s
    WHERE s -> 'clip_index' = to_jsonb($2::int) LIMIT 1
),
script_scenes AS (SELECT jsonb_array_elements_text(retake_array(s -> 'scenes')) AS id FROM script),
script_chars AS (SELECT jsonb_array_elements_text(retake_array(s -> 'characters')) AS id FROM script)
SELECT
    EXISTS (SELECT 1 FROM jobs WHERE id = $1)
        OR EXISTS (SELECT 1 FROM job_stages WHERE job_id = $1) AS job_exists,
    (SELECT jsonb_object_agg(stage_name, CASE
        WHEN is_null OR md = 'null'::jsonb THEN 'empty'
        WHEN md IS NULL THEN 'invalid_json'
        WHEN jsonb_typeof(md) <> 'object' THEN 'not_an_object'
        WHEN md = '{}'::jsonb THEN 'empty'
        ELSE 'ok' END) FROM st) AS stage_states,
    (SELECT jsonb_array_length(arr) FROM clips) AS clip_count,
    (SELECT c FROM clips, jsonb_array_elements(retake_array(clips.arr)) AS c
        WHERE c -> 'clip_index' = to_jsonb($2::int) LIMIT 1) AS clip,
    (SELECT p FROM prompts, jsonb_array_elements(retake_array(prompts.arr)) AS p
        WHERE p -> 'clip_index' = to_jsonb($2::int) LIMIT 1) AS prompt,
    (SELECT s FROM script) AS script,
    (SELECT md ->> 'video_summary' FROM sp) AS video_summary,
    (SELECT md -> 'style' FROM sp) AS style,
    (SELECT jsonb_agg(x) FROM sp, jsonb_array_elements(retake_array(sp.md -> 'scenes')) AS x
        WHERE x ->> 'id' IN (SELECT id FROM script_scenes)) AS scenes,
    (SELECT jsonb_agg(x) FROM sp, jsonb_array_elements(retake_array(sp.md -> 'characters')) AS x
        WHERE x ->> 'id' IN (SELECT id FROM script_chars)) AS characters,
    (SELECT array_agg(r ->> 'image_url') FROM rg, jsonb_array_elements(retake_array(rg.md -> 'scene_references')) AS r
        WHERE r ->> 'scene_id' IN (SELECT id FROM script_scenes) AND r ->> 'image_url' IS NOT NULL)
        AS scene_reference_urls,
    (SELECT array_agg(r ->> 'image_url') FROM rg, jsonb_array_elements(retake_array(rg.md -> 'character_references')) AS r
        WHERE r ->> 'character_id' IN (SELECT id FROM script_chars) AND r ->> 'image_url' IS NOT NULL)
        AS character_reference_urls
"""

# Persist, step 1: lock the video_generator row; concurrent persists of one job queue here.
LOCK_STAGE = """
SELECT id FROM job_stages
WHERE job_id = $1 AND stage_name = 'video_generator'
FOR UPDATE
"""

# A regeneration id already persisted: the earlier result, unchanged.
FIND_REGENERATION = """
SELECT job_id, clip_index, version_number, is_current FROM clip_versions WHERE regeneration_id = $1
"""

# A version saved late (not current) becomes current (after RETIRE_CURRENT).
MAKE_REGENERATION_CURRENT = """
UPDATE clip_versions SET is_current = true WHERE regeneration_id = $1
"""

# Persist, step 2 (under the lock): where the clip sits, and its original data for version 1.
# $1 stage row id, $2 clip index.
LOCATE_CLIP = """
SELECT
    retake_stage_json(s.metadata) IS NULL OR jsonb_typeof(retake_stage_json(s.metadata)) <> 'object'
        AS unreadable,
    c.pos - 1 AS position,
    c.elem AS clip,
    (SELECT p FROM job_stages ps,
            jsonb_array_elements(retake_array(retake_stage_list(retake_stage_json(ps.metadata), 'clip_prompts'))) AS p
        WHERE ps.job_id = s.job_id AND ps.stage_name = 'prompt_generator'
          AND jsonb_typeof(retake_stage_json(ps.metadata)) = 'object'
          AND p -> 'clip_index' = to_jsonb($2::int)
        LIMIT 1) AS prompt_entry,
    (SELECT coalesce(max(version_number), 0) FROM clip_versions v
        WHERE v.job_id = s.job_id AND v.clip_index = $2) AS latest_version
FROM job_stages s
LEFT JOIN LATERAL (
    SELECT e.elem, e.pos
    FROM jsonb_array_elements(retake_array(retake_stage_list(retake_stage_json(s.metadata), 'clips')))
         WITH ORDINALITY AS e(elem, pos)
    WHERE e.elem -> 'clip_index' = to_jsonb($2::int)
    LIMIT 1
) c ON true
WHERE s.id = $1
"""

# $14: is_current (false for a video collected after its regeneration ended).
INSERT_VERSION = """
INSERT INTO clip_versions (job_id, clip_index, version_number, video_url, prompt, negative_prompt,
                           user_instruction, generation_seed, temperature, is_current, regeneration_id,
                           duration_seconds, cost_usd, policy_version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $14, $10, $11, $12, $13)
"""

# Issue 30: the frames a version was joined to; set once (a retried persist writes the same).
SET_CONTINUITY = """
UPDATE clip_versions SET continuity = $2 WHERE regeneration_id = $1 AND continuity IS NULL
"""

RETIRE_CURRENT = """
UPDATE clip_versions SET is_current = false
WHERE job_id = $1 AND clip_index = $2 AND is_current
"""

# Merge the regeneration's changes into this clip's entry ($2 = its position in the list
# retake_stage_list finds, $3 = activities/job_store/clip_entry.py's changes). Every other
# clip, key and value stays as stored, and so does the stored form (migration 004).
PATCH_CLIP_ENTRY = """
UPDATE job_stages SET updated_at = now(), metadata = retake_stage_patch(metadata, 'clips', $2, $3)
WHERE id = $1
"""

# --- versions and revert (migration 007) -------------------------------------------

# A clip's versions, oldest first. policy_version is read through to_jsonb so the query
# works whether or not the column exists yet ("where known").
LIST_VERSIONS = """
SELECT v.version_number, v.is_current, v.user_instruction, v.prompt, v.negative_prompt,
       v.generation_seed, v.temperature, v.cost_usd, v.duration_seconds, v.created_at,
       v.video_url,
       (to_jsonb(v) ->> 'policy_version')::int AS policy_version,
       to_jsonb(v) -> 'continuity' AS continuity
FROM clip_versions v
WHERE v.job_id = $1 AND v.clip_index = $2
ORDER BY v.version_number
"""

LIST_REVERTS = """
SELECT from_version, to_version, created_at FROM clip_reverts
WHERE job_id = $1 AND clip_index = $2
ORDER BY id
"""

FIND_REVERT = """
SELECT from_version, to_version FROM clip_reverts WHERE revert_id = $1
"""

# $1 job, $2 clip, $3 version number.
FIND_VERSION = """
SELECT id, video_url, prompt, negative_prompt, generation_seed, temperature, duration_seconds,
       cost_usd
FROM clip_versions WHERE job_id = $1 AND clip_index = $2 AND version_number = $3
"""

CURRENT_VERSION = """
SELECT version_number FROM clip_versions WHERE job_id = $1 AND clip_index = $2 AND is_current
"""

MAKE_CURRENT = """
UPDATE clip_versions SET is_current = true WHERE id = $1
"""

INSERT_REVERT = """
INSERT INTO clip_reverts (job_id, clip_index, from_version, to_version, revert_id)
VALUES ($1, $2, $3, $4, $5)
"""

# Every clip index of a job's video_generator stage, ascending (a batch's "all").
CLIP_INDEXES = """
SELECT coalesce(array_agg(DISTINCT (c ->> 'clip_index')::int), '{}') AS indexes
FROM job_stages s,
     jsonb_array_elements(retake_array(retake_stage_list(retake_stage_json(s.metadata), 'clips'))) AS c
WHERE s.job_id = $1 AND s.stage_name = 'video_generator'
  AND jsonb_typeof(retake_stage_json(s.metadata)) = 'object'
  AND jsonb_typeof(c -> 'clip_index') = 'number'
"""
