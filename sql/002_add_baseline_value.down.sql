ALTER TABLE user_goal_progress DROP COLUMN IF EXISTS baseline_value;
