-- The audit log becomes a hash chain (customer_access::audit::chain): every row gets its
-- sequence number, the previous row's hash and its own, BLAKE2b-256 in hex. The chain's
-- ends live in one row of "{schema}".audit_chain, whose update is the chain's lock. Rows written
-- before this migration are chained, oldest first, by the store when it opens (hashing
-- needs the library). staff_id and device_id copy what the actor column says, so reads by
-- staff member or device, and the staff reset budgets, use an index.

ALTER TABLE "{schema}".audit ADD COLUMN seq BIGINT;
ALTER TABLE "{schema}".audit ADD COLUMN prev_hash TEXT;
ALTER TABLE "{schema}".audit ADD COLUMN hash TEXT;
ALTER TABLE "{schema}".audit ADD COLUMN staff_id BIGINT;
ALTER TABLE "{schema}".audit ADD COLUMN device_id TEXT;

CREATE UNIQUE INDEX audit_by_seq ON "{schema}".audit (seq);
DROP INDEX "{schema}".audit_by_contact;
CREATE INDEX audit_by_contact ON "{schema}".audit (contact_id, seq);
CREATE INDEX audit_by_retailer ON "{schema}".audit (retailer_id, seq);
CREATE INDEX audit_by_staff ON "{schema}".audit (staff_id, seq);
CREATE INDEX audit_by_device ON "{schema}".audit (device_id, seq);

CREATE TABLE "{schema}".audit_chain (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    head_seq  BIGINT NOT NULL,
    head_hash TEXT    NOT NULL,
    -- The oldest kept event once retention removed older ones (0 and zeros while none was).
    base_seq  BIGINT NOT NULL,
    base_hash TEXT    NOT NULL,
    -- Rows up to this id were written before the chain: the store chains those once when it
    -- opens. A row without a place in the chain above it is never adopted.
    legacy_until BIGINT NOT NULL
);

INSERT INTO "{schema}".audit_chain (id, head_seq, head_hash, base_seq, base_hash, legacy_until)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0,
        '0000000000000000000000000000000000000000000000000000000000000000',
        (SELECT COALESCE(MAX(id), 0) FROM "{schema}".audit));

-- From now on a row without its place in the chain is refused (NOT VALID: the rows already
-- there are chained by the store when it opens, which satisfies the check), so no code path
-- (or hand-written statement) can add events that verification would not see, or that a
-- later upgrade would adopt into the chain.
ALTER TABLE "{schema}".audit ADD CONSTRAINT audit_chained
    CHECK (seq IS NOT NULL AND seq >= 1 AND prev_hash IS NOT NULL AND hash IS NOT NULL) NOT VALID;
