-- Databases created by an older 001 lack baseline_value; the current 001
-- already has it, so this is a no-op there.
ALTER TABLE user_goal_progress ADD COLUMN IF NOT EXISTS baseline_value INT NULL;
COMMENT ON COLUMN user_goal_progress.baseline_value IS 'M5: Stat value at goal activation for relative progress (NULL = absolute mode or not yet initialized)';
