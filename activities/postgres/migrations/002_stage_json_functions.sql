-- Helpers that let one SQL statement read stage metadata in either stored form
-- and pick out a single clip, so a 500-clip job never ships all its clips.

-- The stage's metadata as JSON: a jsonb string holding JSON text is parsed;
-- SQL NULL when that text is not valid JSON (callers report it as invalid).
CREATE OR REPLACE FUNCTION retake_stage_json(m jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF jsonb_typeof(m) = 'string' THEN
        BEGIN
            RETURN (m #>> '{}')::jsonb;
        EXCEPTION WHEN invalid_text_representation THEN
            RETURN NULL;
        END;
    END IF;
    RETURN m;
END
$$;

-- A stage's list under `key`, nested (metadata[key][key], as video_generator writes
-- clips) or flat (metadata[key]); NULL when neither is an array.
CREATE OR REPLACE FUNCTION retake_stage_list(m jsonb, key text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(m -> key)
        WHEN 'array' THEN m -> key
        WHEN 'object' THEN
            CASE WHEN jsonb_typeof(m -> key -> key) = 'array' THEN m -> key -> key END
    END
$$;

-- The value if it is a JSON array, else an empty array (safe to expand).
CREATE OR REPLACE FUNCTION retake_array(j jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(j) = 'array' THEN j ELSE '[]'::jsonb END
$$;
