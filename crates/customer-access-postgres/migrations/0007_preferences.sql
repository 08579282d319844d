-- Language (a BCP 47 tag) and IANA time zone of each contact and, as the defaults of its
-- contacts, of each retailer (customer_access::i18n::Preferences): NULL = not set. The
-- library validates both before writing and again when reading; the checks here only keep
-- a hand-written row from growing beyond what it would ever accept.

ALTER TABLE "{schema}".contacts
    ADD COLUMN locale TEXT CHECK (locale IS NULL OR length(locale) BETWEEN 1 AND 35),
    ADD COLUMN time_zone TEXT CHECK (time_zone IS NULL OR length(time_zone) BETWEEN 1 AND 64);
ALTER TABLE "{schema}".retailers
    ADD COLUMN locale TEXT CHECK (locale IS NULL OR length(locale) BETWEEN 1 AND 35),
    ADD COLUMN time_zone TEXT CHECK (time_zone IS NULL OR length(time_zone) BETWEEN 1 AND 64);

