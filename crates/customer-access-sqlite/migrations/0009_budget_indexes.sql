-- Budget counts ("fewer than N staff resets by this staff member in the last 24 hours")
-- read only the window: an index on the scope and the time. Without them a count walked
-- every event the staff member, iPad or retailer ever caused (the (scope, seq) indexes
-- serve keyset pages, not time windows), so a staff reset grew slower with years of
-- history (benchmark 7). Staff and device columns are NULL for most events: partial
-- indexes keep those small.

CREATE INDEX ca_audit_budget_by_staff ON ca_audit (staff_id, at) WHERE staff_id IS NOT NULL;
CREATE INDEX ca_audit_budget_by_device ON ca_audit (device_id, at) WHERE device_id IS NOT NULL;
CREATE INDEX ca_audit_budget_by_retailer ON ca_audit (retailer_id, at);
