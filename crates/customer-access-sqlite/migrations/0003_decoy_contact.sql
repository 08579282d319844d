-- The decoy contact (customer_access::columns::ContactColumns::decoy, under the key
-- ContactColumns::decoy_username_key), stored as a real row so
-- that a username lookup that misses reads it by the same access path as a hit: one index
-- probe and one table row, instead of producing a row from bound parameters, which was
-- measurably faster. Id 0 is never assigned (AUTOINCREMENT starts at 1) and every query
-- except the username lookup excludes it; its username key is 260 characters, longer than
-- any valid policy lets a username be, so no contact can ever take it. Its retailer, id 0,
-- exists only to satisfy the foreign key and is hidden the same way.

INSERT INTO ca_retailers (id, name) VALUES (0, '');

INSERT INTO ca_contacts (
    id, retailer_id, username, username_key, email, display_name, login_enabled, revision,
    credential_version, password_hash, reset_window_count
) VALUES (
    0, 0, 'decoy000',
    -- 'decoy' repeated 52 times: 52 zero bytes are 104 hex zeros, each pair replaced.
    replace(hex(zeroblob(52)), '00', 'decoy'),
    'decoy000@shop.invalid', 'Decoy', 0, 0, 0,
    '$argon2id$v=19$m=19456,t=2,p=1$ZGVjb3lkZWNveWRlY295$ZGVjb3lkZWNveWRlY295ZGVjb3lkZWNveWRlY295ZGU',
    0
);
