-- Retailers, contacts with their credential state, staff assignments and the audit log, in
-- the schema "{schema}". Secrets are never stored: passwords and temporary passwords as
-- Argon2id PHC hashes, change tickets as BLAKE2b-256 digests. Timestamps are BIGINT
-- milliseconds since the Unix epoch (UTC), so ordering and expiry comparisons are exact and
-- identical to the SQLite store.

CREATE TABLE "{schema}".retailers (
    id   BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE "{schema}".contacts (
    id                      BIGSERIAL PRIMARY KEY,
    retailer_id             BIGINT  NOT NULL REFERENCES "{schema}".retailers (id),
    username                TEXT    NOT NULL,
    -- Canonical username (customer_access_policy::fold_username): one rule for every store,
    -- no collation tricks.
    username_key            TEXT    NOT NULL UNIQUE,
    email                   TEXT    NOT NULL,
    display_name            TEXT    NOT NULL,
    login_enabled           BOOLEAN NOT NULL,
    revision                BIGINT  NOT NULL,
    credential_version      BIGINT  NOT NULL,
    password_hash           TEXT,
    temp_hash               TEXT,
    temp_issued_at          BIGINT,
    temp_expires_at         BIGINT,
    temp_issued_by          TEXT,
    ticket_digest           TEXT,
    ticket_expires_at       BIGINT,
    reset_window_started_at BIGINT,
    reset_window_count      BIGINT  NOT NULL,
    CHECK ((temp_hash IS NULL) = (temp_expires_at IS NULL)),
    CHECK ((ticket_digest IS NULL) = (ticket_expires_at IS NULL))
);

CREATE INDEX contacts_by_retailer ON "{schema}".contacts (retailer_id, id);

CREATE TABLE "{schema}".staff_retailers (
    staff_id    BIGINT NOT NULL,
    retailer_id BIGINT NOT NULL REFERENCES "{schema}".retailers (id),
    PRIMARY KEY (staff_id, retailer_id)
);

CREATE TABLE "{schema}".audit (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT   NOT NULL,
    retailer_id BIGINT,
    contact_id  BIGINT,
    kind        TEXT   NOT NULL
);

CREATE INDEX audit_by_contact ON "{schema}".audit (contact_id, id);
