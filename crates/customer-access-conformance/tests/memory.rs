//! The memory store passes the whole suite, one test per check.

mod memory_store {
    use customer_access::MemoryStore;

    customer_access_conformance::conformance_tests!(store = || async { MemoryStore::new() });
}

/// The same suite through the type-erased and shared forms an application may pick at run
/// time: `BoxStore` over `Arc<MemoryStore>`.
mod boxed_shared_memory_store {
    use std::sync::Arc;

    use customer_access::{BoxStore, MemoryStore};

    customer_access_conformance::conformance_tests!(store = || async { BoxStore::new(Arc::new(MemoryStore::new())) });
}
