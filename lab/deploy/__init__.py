"""Deploying the learner's images to an exercise's fleet: builds, rollouts and their history,
rollback, chaos, and the desired-state loop that repairs what chaos breaks."""
