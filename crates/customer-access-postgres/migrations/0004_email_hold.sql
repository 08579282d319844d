-- The hold after a staff change of a contact's e-mail address (customer_access::EmailHold):
-- both NULL when there is none.

ALTER TABLE "{schema}".contacts
    ADD COLUMN hold_previous_email TEXT,
    ADD COLUMN hold_until BIGINT;
