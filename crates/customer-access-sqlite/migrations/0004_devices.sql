-- Recognised devices (customer_access::DeviceRecord): only the BLAKE2b digest of a device
-- token is stored. A token is recognised while the contact's credential_version is still the
-- one it was issued under; `seq` breaks ties of issued_at when a contact's list is trimmed.

CREATE TABLE ca_devices (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    digest             TEXT    NOT NULL UNIQUE,
    contact_id         INTEGER NOT NULL REFERENCES ca_contacts (id) ON DELETE CASCADE,
    credential_version INTEGER NOT NULL,
    issued_at          INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL
);

CREATE INDEX ca_devices_by_contact ON ca_devices (contact_id, issued_at);
