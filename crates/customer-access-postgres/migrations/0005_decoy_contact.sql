-- The decoy contact (customer_access::store::columns::ContactColumns::decoy, under the key
-- ContactColumns::decoy_username_key), stored as a real row so that a username lookup that
-- misses reads it by the same access path as a hit: two probes of the key index and one
-- table row. Until this migration a miss produced the row from bound parameters instead;
-- the SQLite store measured that as faster than a hit, and the lookup statement is now one
-- for both stores. Id 0 is never assigned (sequences start at 1) and every statement except
-- the username lookup excludes it; its username key is 260 characters, longer than any valid
-- policy lets a username be, so no contact can ever take it. Its retailer, id 0, exists only
-- to satisfy the foreign key and is hidden the same way.

INSERT INTO "{schema}".retailers (id, name) VALUES (0, '');

INSERT INTO "{schema}".contacts (
    id, retailer_id, username, username_key, email, display_name, login_enabled, revision,
    credential_version, password_hash, reset_window_count
) VALUES (
    0, 0, 'decoy000', repeat('decoy', 52), 'decoy000@shop.invalid', 'Decoy', FALSE, 0, 0,
    '$argon2id$v=19$m=19456,t=2,p=1$ZGVjb3lkZWNveWRlY295$ZGVjb3lkZWNveWRlY295ZGVjb3lkZWNveWRlY295ZGU',
    0
);
