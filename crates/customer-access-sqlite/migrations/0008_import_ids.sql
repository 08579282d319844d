-- The ids imported retailers and contacts have in the system they came from
-- (customer_access::store::import): what makes a bulk import idempotent, a re-run finding
-- each row it wrote before. Rows are never deleted: a removed contact's tombstone keeps its
-- external id, so an import never brings it back. local_id is the retailer's or contact's id.

CREATE TABLE ca_import_ids (
    kind        TEXT    NOT NULL CHECK (kind IN ('retailer', 'contact')),
    external_id TEXT    NOT NULL CHECK (length(external_id) BETWEEN 1 AND 128),
    local_id    INTEGER NOT NULL,
    PRIMARY KEY (kind, external_id)
);
