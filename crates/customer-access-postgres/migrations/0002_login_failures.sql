-- Failed-login state per canonical username, known or not, shared by every app instance
-- (so throttling holds across instances and a lockout reveals nothing about existence).

CREATE TABLE "{schema}".login_failures (
    username_key    TEXT   PRIMARY KEY,
    count           BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL
);

CREATE INDEX login_failures_by_age ON "{schema}".login_failures (last_failure_at);
