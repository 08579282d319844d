//! The memory store passes the whole suite, one test per check.

mod memory_store {
    use customer_access::MemoryStore;

    customer_access_conformance::conformance_tests!(store = || async { MemoryStore::new() });
}
