-- Recognised devices (customer_access::DeviceRecord): only the BLAKE2b digest of a device
-- token is stored. A token is recognised while the contact's credential_version is still the
-- one it was issued under; `seq` breaks ties of issued_at when a contact's list is trimmed.

CREATE TABLE "{schema}".devices (
    seq                BIGSERIAL PRIMARY KEY,
    digest             TEXT   NOT NULL UNIQUE,
    contact_id         BIGINT NOT NULL REFERENCES "{schema}".contacts (id) ON DELETE CASCADE,
    credential_version BIGINT NOT NULL,
    issued_at          BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL
);

CREATE INDEX devices_by_contact ON "{schema}".devices (contact_id, issued_at);
