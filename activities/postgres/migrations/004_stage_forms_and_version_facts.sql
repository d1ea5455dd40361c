-- One reading of stage metadata in SQL and Python (activities/job_store/stage_json.py),
-- a write that keeps each level in its stored form, and what each clip version cost.

-- As in 002, and: JSON text nested beyond Postgres's limits is unreadable (NULL) too.
CREATE OR REPLACE FUNCTION retake_stage_json(m jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF jsonb_typeof(m) = 'string' THEN
        BEGIN
            RETURN (m #>> '{}')::jsonb;
        EXCEPTION WHEN invalid_text_representation OR program_limit_exceeded THEN
            RETURN NULL;
        END;
    END IF;
    RETURN m;
END
$$;

-- A stage's list under `key`: flat (m[key] is the array), nested (m[key][key]), and
-- now also m[key] stored as JSON text holding either; NULL when there is no array.
-- One CASE, so Postgres inlines it; the text is parsed only when it is text.
CREATE OR REPLACE FUNCTION retake_stage_list(m jsonb, key text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(m -> key)
        WHEN 'array' THEN m -> key
        WHEN 'object' THEN CASE WHEN jsonb_typeof(m -> key -> key) = 'array' THEN m -> key -> key END
        WHEN 'string' THEN CASE jsonb_typeof(retake_stage_json(m -> key))
            WHEN 'array' THEN retake_stage_json(m -> key)
            WHEN 'object' THEN CASE WHEN jsonb_typeof(retake_stage_json(m -> key) -> key) = 'array'
                                    THEN retake_stage_json(m -> key) -> key END
        END
    END
$$;

-- `m` with element `pos` (0-based) of the list retake_stage_list(m, key) finds merged
-- with `patch` (its keys replace the element's; patch.metadata is merged into the
-- element's metadata object). Every level keeps its stored form: a stage or a list
-- stored as JSON text is written back as JSON text, an object as an object, and every
-- value the patch does not name stays exactly as stored.
CREATE OR REPLACE FUNCTION retake_stage_patch(m jsonb, key text, pos int, patch jsonb)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    md   jsonb := retake_stage_json(m);
    v    jsonb := retake_stage_json(md -> key);
    path text[];
    elem jsonb;
BEGIN
    IF jsonb_typeof(v) = 'array' THEN
        path := ARRAY[pos::text];
    ELSIF jsonb_typeof(v) = 'object' AND jsonb_typeof(v -> key) = 'array' THEN
        path := ARRAY[key, pos::text];
    ELSE
        RAISE EXCEPTION 'the stage has no % list to update', key;
    END IF;
    elem := v #> path;
    IF jsonb_typeof(elem) <> 'object' THEN
        RAISE EXCEPTION 'element % of the % list is not an object', pos, key;
    END IF;
    IF patch ? 'metadata' THEN
        patch := patch || jsonb_build_object('metadata',
            CASE WHEN jsonb_typeof(elem -> 'metadata') = 'object'
                 THEN elem -> 'metadata' ELSE '{}'::jsonb END || (patch -> 'metadata'));
    END IF;
    v := jsonb_set(v, path, elem || patch, false);
    IF jsonb_typeof(md -> key) = 'string' THEN
        v := to_jsonb(v::text);
    END IF;
    md := jsonb_set(md, ARRAY[key], v, false);
    IF jsonb_typeof(m) = 'string' THEN
        RETURN to_jsonb(md::text);
    END IF;
    RETURN md;
END
$$;

-- What each version delivered and cost (NULL when not known, e.g. older rows).
ALTER TABLE clip_versions ADD COLUMN IF NOT EXISTS duration_seconds DOUBLE PRECISION;
ALTER TABLE clip_versions ADD COLUMN IF NOT EXISTS cost_usd NUMERIC(12, 4);
