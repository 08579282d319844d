-- The hold after a staff change of a contact's e-mail address (customer_access::EmailHold):
-- both NULL when there is none.

ALTER TABLE ca_contacts ADD COLUMN hold_previous_email TEXT;
ALTER TABLE ca_contacts ADD COLUMN hold_until INTEGER;
