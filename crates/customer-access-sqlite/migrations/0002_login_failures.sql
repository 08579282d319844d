-- Failed-login state per canonical username, known or not (so a lockout reveals nothing
-- about whether a username exists). Rows older than the backoff's forget_after are pruned.

CREATE TABLE ca_login_failures (
    username_key    TEXT    PRIMARY KEY,
    count           INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
);

CREATE INDEX ca_login_failures_by_age ON ca_login_failures (last_failure_at);
