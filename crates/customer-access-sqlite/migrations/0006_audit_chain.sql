-- The audit log becomes a hash chain (customer_access::audit::chain): every row gets its
-- sequence number, the previous row's hash and its own, BLAKE2b-256 in hex. The chain's
-- ends live in one row of ca_audit_chain, whose update is the chain's lock. Rows written
-- before this migration are chained, oldest first, by the store when it opens (hashing
-- needs the library). staff_id and device_id copy what the actor column says, so reads by
-- staff member or device, and the staff reset budgets, use an index.

ALTER TABLE ca_audit ADD COLUMN seq INTEGER;
ALTER TABLE ca_audit ADD COLUMN prev_hash TEXT;
ALTER TABLE ca_audit ADD COLUMN hash TEXT;
ALTER TABLE ca_audit ADD COLUMN staff_id INTEGER;
ALTER TABLE ca_audit ADD COLUMN device_id TEXT;

CREATE UNIQUE INDEX ca_audit_by_seq ON ca_audit (seq);
DROP INDEX ca_audit_by_contact;
CREATE INDEX ca_audit_by_contact ON ca_audit (contact_id, seq);
CREATE INDEX ca_audit_by_retailer ON ca_audit (retailer_id, seq);
CREATE INDEX ca_audit_by_staff ON ca_audit (staff_id, seq);
CREATE INDEX ca_audit_by_device ON ca_audit (device_id, seq);

CREATE TABLE ca_audit_chain (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    head_seq  INTEGER NOT NULL,
    head_hash TEXT    NOT NULL,
    -- The oldest kept event once retention removed older ones (0 and zeros while none was).
    base_seq  INTEGER NOT NULL,
    base_hash TEXT    NOT NULL,
    -- Rows up to this id were written before the chain: the store chains those once when it
    -- opens. A row without a place in the chain above it is never adopted.
    legacy_until BIGINT NOT NULL
);

INSERT INTO ca_audit_chain (id, head_seq, head_hash, base_seq, base_hash, legacy_until)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0,
        '0000000000000000000000000000000000000000000000000000000000000000',
        (SELECT COALESCE(MAX(id), 0) FROM ca_audit));

-- From now on a row without its place in the chain is refused, so no code path (or hand-written
-- statement) can add events that verification would not see, or that a later upgrade would
-- adopt into the chain.
CREATE TRIGGER ca_audit_chained_insert BEFORE INSERT ON ca_audit
WHEN NEW.seq IS NULL OR typeof(NEW.seq) <> 'integer' OR NEW.seq < 1
    OR NEW.prev_hash IS NULL OR NEW.hash IS NULL
BEGIN
    SELECT RAISE(ABORT, 'audit rows must be chained (an integer seq >= 1, prev_hash, hash)');
END;

CREATE TRIGGER ca_audit_chained_update BEFORE UPDATE OF seq, prev_hash, hash ON ca_audit
WHEN NEW.seq IS NULL OR typeof(NEW.seq) <> 'integer' OR NEW.seq < 1
    OR NEW.prev_hash IS NULL OR NEW.hash IS NULL
BEGIN
    SELECT RAISE(ABORT, 'audit rows must be chained (an integer seq >= 1, prev_hash, hash)');
END;
