-- Retailers, contacts with their credential state, staff assignments and the audit log.
-- Secrets are never stored: passwords and temporary passwords as Argon2id PHC hashes,
-- change tickets as BLAKE2b-256 digests. Timestamps are INTEGER milliseconds since the Unix
-- epoch (UTC), so ordering and expiry comparisons are exact.

CREATE TABLE ca_retailers (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL
);

CREATE TABLE ca_contacts (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    retailer_id             INTEGER NOT NULL REFERENCES ca_retailers (id),
    username                TEXT    NOT NULL,
    -- Canonical username (customer_access_policy::fold_username): the only form looked up.
    username_key            TEXT    NOT NULL UNIQUE,
    email                   TEXT    NOT NULL,
    display_name            TEXT    NOT NULL,
    login_enabled           INTEGER NOT NULL CHECK (login_enabled IN (0, 1)),
    revision                INTEGER NOT NULL,
    credential_version      INTEGER NOT NULL,
    password_hash           TEXT,
    temp_hash               TEXT,
    temp_issued_at          INTEGER,
    temp_expires_at         INTEGER,
    temp_issued_by          TEXT,
    ticket_digest           TEXT,
    ticket_expires_at       INTEGER,
    reset_window_started_at INTEGER,
    reset_window_count      INTEGER NOT NULL,
    CHECK ((temp_hash IS NULL) = (temp_expires_at IS NULL)),
    CHECK ((ticket_digest IS NULL) = (ticket_expires_at IS NULL))
);

CREATE INDEX ca_contacts_by_retailer ON ca_contacts (retailer_id, id);

CREATE TABLE ca_staff_retailers (
    staff_id    INTEGER NOT NULL,
    retailer_id INTEGER NOT NULL REFERENCES ca_retailers (id),
    PRIMARY KEY (staff_id, retailer_id)
);

CREATE TABLE ca_audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    retailer_id INTEGER,
    contact_id  INTEGER,
    kind        TEXT    NOT NULL
);

CREATE INDEX ca_audit_by_contact ON ca_audit (contact_id, id);
