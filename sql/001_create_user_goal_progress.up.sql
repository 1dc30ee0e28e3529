-- Per-user goal progress: one row per (user, goal) ever assigned, activated
-- or toggled. Same layout as the reference's migration 001 so databases can
-- be shared between the two implementations.
CREATE TABLE IF NOT EXISTS user_goal_progress (
    user_id VARCHAR(100) NOT NULL,
    goal_id VARCHAR(100) NOT NULL,
    challenge_id VARCHAR(100) NOT NULL,
    namespace VARCHAR(100) NOT NULL,
    progress INT NOT NULL DEFAULT 0,
    status VARCHAR(20) NOT NULL DEFAULT 'not_started',
    completed_at TIMESTAMP NULL,
    claimed_at TIMESTAMP NULL,
    created_at TIMESTAMP NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP NOT NULL DEFAULT NOW(),
    is_active BOOLEAN NOT NULL DEFAULT true,
    assigned_at TIMESTAMP NULL,
    expires_at TIMESTAMP NULL,
    baseline_value INT NULL,
    PRIMARY KEY (user_id, goal_id),
    CONSTRAINT check_status CHECK (status IN ('not_started', 'in_progress', 'completed', 'claimed')),
    CONSTRAINT check_progress_non_negative CHECK (progress >= 0),
    CONSTRAINT check_claimed_implies_completed CHECK (claimed_at IS NULL OR completed_at IS NOT NULL)
);

CREATE INDEX IF NOT EXISTS idx_user_goal_progress_user_challenge
    ON user_goal_progress(user_id, challenge_id);
CREATE INDEX IF NOT EXISTS idx_user_goal_progress_user_active
    ON user_goal_progress(user_id, is_active) WHERE is_active = true;
CREATE INDEX IF NOT EXISTS idx_user_goal_count
    ON user_goal_progress(user_id);
CREATE INDEX IF NOT EXISTS idx_user_goal_lookup
    ON user_goal_progress(user_id, goal_id);
CREATE INDEX IF NOT EXISTS idx_user_goal_active_only
    ON user_goal_progress(user_id) WHERE is_active = true;

COMMENT ON TABLE user_goal_progress IS 'Tracks user progress for challenge goals';
COMMENT ON COLUMN user_goal_progress.user_id IS 'AGS user ID';
COMMENT ON COLUMN user_goal_progress.goal_id IS 'Goal ID from challenge config';
COMMENT ON COLUMN user_goal_progress.challenge_id IS 'Challenge ID from challenge config';
COMMENT ON COLUMN user_goal_progress.namespace IS 'For debugging only - each deployment operates in single namespace';
COMMENT ON COLUMN user_goal_progress.progress IS 'Current progress value (stat value or login count)';
COMMENT ON COLUMN user_goal_progress.status IS 'not_started -> in_progress -> completed -> claimed';
COMMENT ON COLUMN user_goal_progress.completed_at IS 'When the goal was completed';
COMMENT ON COLUMN user_goal_progress.claimed_at IS 'When the reward was claimed';
COMMENT ON COLUMN user_goal_progress.is_active IS 'Whether the goal is assigned and tracked';
COMMENT ON COLUMN user_goal_progress.assigned_at IS 'When the goal was last activated';
COMMENT ON COLUMN user_goal_progress.expires_at IS 'M5: When assignment expires (NULL = permanent)';
COMMENT ON COLUMN user_goal_progress.baseline_value IS 'M5: Stat value at goal activation for relative progress (NULL = absolute mode or not yet initialized)';
