-- The event flush (spec events.md §6): one UPDATE-only merge of a batch of
-- buffered (user, goal) updates into user_goal_progress. Embedded into the
-- server as EVT_FLUSH_SQL (src/events/embed_sql.py) and read as is by
-- tests/integration/test_flush_sql.py. Full-line comments are stripped when
-- embedding.
--
-- Parameters, one array element per row (src/events/params.c writes them):
--   $1 user_id text[]            $2 goal_id text[]
--   $3 progress int8[]           (NULL element: a pure login increment)
--   $4 progress_mode text[]      ('absolute' | 'relative')
--   $5 inc_value int8[]          $6 target_value int8[]
--   $7 rotation_boundary timestamp[]   $8 new_expires_at timestamp[]
--   $9 allow_reselection bool[]  $10 reset_progress bool[]
--   $11 challenge_id text[]      (informational, like the reference's copy
--                                 row; the merge never reads it)
--
-- Every SET expression reads the stored row as it was before this UPDATE
-- (u.* on the right-hand side is the old row), which is what §6.2 means by
-- "stored values before the update". The CASE branches are §6.3's tables in
-- order. In the expressions below:
--   newP  = LEAST(GREATEST(COALESCE(r.progress, u.progress + r.inc), 0), 2147483647)
--   stale = (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
--
-- Deliberate departures from the reference, none of which changes a result
-- the reference can produce without failing:
--   * newP is computed in bigint and clamped to [0, 2147483647], and inc to
--     the int32 range, so an overflowing sum or a value the INT column cannot
--     hold cannot fail the statement; the reference fails the whole batch
--     and retries it forever (§5.5, "poison batch").
--   * baseline_value (newP - inc) is clamped to the int32 range likewise.
--   * completed_at is cleared on a stale reset only when claimed_at is NULL:
--     a row breaking check_claimed_implies_completed (only by hand: the
--     services never leave claimed_at on an unclaimed row) keeps its time
--     instead of failing the batch.
UPDATE user_goal_progress AS u SET
    progress = LEAST(GREATEST(COALESCE(r.progress, u.progress + r.inc), 0), 2147483647),
    baseline_value = CASE
        WHEN NOT r.rel THEN u.baseline_value
        WHEN u.status = 'claimed' AND r.resel
             AND (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
            THEN LEAST(GREATEST(LEAST(GREATEST(COALESCE(r.progress, u.progress + r.inc), 0), 2147483647) - r.inc, -2147483648), 2147483647)
        WHEN (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
             AND u.status <> 'claimed' AND r.do_reset
            THEN LEAST(GREATEST(LEAST(GREATEST(COALESCE(r.progress, u.progress + r.inc), 0), 2147483647) - r.inc, -2147483648), 2147483647)
        WHEN (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
             AND u.status <> 'claimed' AND NOT r.do_reset
            THEN u.baseline_value
        WHEN u.baseline_value IS NULL
            THEN LEAST(GREATEST(LEAST(GREATEST(COALESCE(r.progress, u.progress + r.inc), 0), 2147483647) - r.inc, -2147483648), 2147483647)
        ELSE u.baseline_value
    END,
    status = CASE
        WHEN u.status = 'claimed' AND r.resel
             AND (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
            THEN 'not_started'
        WHEN u.status = 'claimed' THEN 'claimed'
        WHEN u.status = 'completed'
             AND NOT (r.rel AND (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary))
            THEN 'completed'
        WHEN u.status = 'completed' AND r.rel
             AND (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
             AND NOT r.do_reset
            THEN 'completed'
        WHEN r.abs
             AND LEAST(GREATEST(COALESCE(r.progress, u.progress + r.inc), 0), 2147483647) >= r.target
            THEN 'completed'
        WHEN r.rel AND (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
             AND r.do_reset AND r.inc >= r.target
            THEN 'completed'
        WHEN r.rel AND (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
             AND NOT r.do_reset AND u.baseline_value IS NOT NULL
             AND LEAST(GREATEST(COALESCE(r.progress, u.progress + r.inc), 0), 2147483647) - u.baseline_value >= r.target
            THEN 'completed'
        WHEN r.rel AND NOT (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
             AND u.baseline_value IS NOT NULL
             AND LEAST(GREATEST(COALESCE(r.progress, u.progress + r.inc), 0), 2147483647) - u.baseline_value >= r.target
            THEN 'completed'
        ELSE 'in_progress'
    END,
    completed_at = CASE
        WHEN u.status = 'claimed' AND r.resel
             AND (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
            THEN NULL
        WHEN u.status = 'claimed' THEN u.completed_at
        WHEN u.status = 'completed' AND r.rel
             AND (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
             AND NOT r.do_reset
            THEN u.completed_at
        WHEN u.status = 'completed'
             AND NOT (r.rel AND (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary))
            THEN u.completed_at
        WHEN r.abs
             AND LEAST(GREATEST(COALESCE(r.progress, u.progress + r.inc), 0), 2147483647) >= r.target
             AND u.completed_at IS NULL
            THEN NOW()
        WHEN r.rel AND (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
             AND r.do_reset AND r.inc >= r.target
            THEN NOW()
        WHEN r.rel AND NOT (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
             AND u.baseline_value IS NOT NULL
             AND LEAST(GREATEST(COALESCE(r.progress, u.progress + r.inc), 0), 2147483647) - u.baseline_value >= r.target
             AND u.completed_at IS NULL
            THEN NOW()
        WHEN r.rel AND (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
             AND r.do_reset AND u.claimed_at IS NULL
            THEN NULL
        ELSE u.completed_at
    END,
    claimed_at = CASE
        WHEN u.status = 'claimed' AND r.resel
             AND (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
            THEN NULL
        ELSE u.claimed_at
    END,
    expires_at = CASE
        WHEN r.new_expires_at IS NOT NULL
             AND (r.rotation_boundary IS NOT NULL AND u.updated_at < r.rotation_boundary)
            THEN r.new_expires_at
        WHEN r.new_expires_at IS NOT NULL AND u.expires_at IS NULL THEN r.new_expires_at
        ELSE u.expires_at
    END,
    updated_at = NOW()
FROM (
    SELECT t.user_id, t.goal_id,
           -- (GREATEST and LEAST skip NULLs: clamp only a present value)
           CASE WHEN t.progress IS NOT NULL
                THEN LEAST(GREATEST(t.progress, 0), 2147483647) END AS progress,
           t.progress_mode = 'absolute' AS abs,
           t.progress_mode = 'relative' AS rel,
           LEAST(GREATEST(COALESCE(t.inc_value, 0), -2147483648), 2147483647) AS inc,
           t.target_value AS target,
           t.rotation_boundary, t.new_expires_at,
           t.allow_reselection AS resel, t.reset_progress AS do_reset
    FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::int8[], $6::int8[],
                $7::timestamp[], $8::timestamp[], $9::bool[], $10::bool[], $11::text[])
         AS t(user_id, goal_id, progress, progress_mode, inc_value, target_value,
              rotation_boundary, new_expires_at, allow_reselection, reset_progress,
              challenge_id)
) AS r
WHERE u.user_id = r.user_id
  AND u.goal_id = r.goal_id
  AND u.is_active
  AND NOT (u.status = 'claimed' AND NOT r.resel)
