//! Test only: [`Quarantine`], a global allocator that keeps the blocks freed while a test
//! has it [`arm`]ed instead of returning them, so the test can then look for a secret in
//! everything that was freed, and a secret left there was not wiped by its last holder.
//!
//! Keeping the blocks, rather than scanning each one as it is freed, lets a test look for a
//! secret it learns only afterwards: the temporary password is drawn from the OS RNG and is
//! known only once the e-mail carrying it was rendered and its buffers were freed. A block
//! kept here is not handed out again, so its bytes stay as its owner left them until
//! [`Freed`] is dropped and returns the blocks to the system allocator.
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOCATOR: customer_access_memtest::Quarantine = customer_access_memtest::Quarantine;
//!
//! let armed = customer_access_memtest::arm();
//! run_the_flow();
//! let freed = armed.disarm();
//! assert_eq!(freed.blocks_containing(b"the secret", 8), 0);
//! ```
//!
//! Growing buffers are caught too: `realloc` is left to its default, which allocates the new
//! block, copies, and frees the old one through `dealloc`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Freed blocks one armed period can keep; more are freed normally and counted in
/// [`Freed::overflowed`]. Each slot takes 24 bytes of zeroed static memory.
const SLOTS: usize = 1 << 20;

/// One kept block. Written at most once (see [`NEXT`]), `ptr` last, so a reader that sees
/// a non-null `ptr` also sees its `size` and `align`.
struct Slot {
    ptr: AtomicPtr<u8>,
    size: AtomicUsize,
    align: AtomicUsize,
}

static TABLE: [Slot; SLOTS] =
    [const { Slot { ptr: AtomicPtr::new(ptr::null_mut()), size: AtomicUsize::new(0), align: AtomicUsize::new(0) } };
        SLOTS];
static ARMED: AtomicBool = AtomicBool::new(false);
/// The next unused slot. Never reset, so no slot is ever written twice: a free that raced
/// with disarming lands in a slot no later period reads as its own twice.
static NEXT: AtomicUsize = AtomicUsize::new(0);
static OVERFLOWED: AtomicUsize = AtomicUsize::new(0);
/// One armed period at a time (tests in one binary run on several threads).
static PERIOD: Mutex<()> = Mutex::new(());

/// The system allocator, zeroing every new block and keeping freed blocks while armed.
///
/// Zeroing on allocation means every byte of a block has been written when it is read back
/// (no uninitialised memory is read), and a block never carries bytes of an earlier one.
#[derive(Debug)]
pub struct Quarantine;

// SAFETY: every block comes from `System` with the caller's layout, and goes back to it with
// that same layout, at once or (kept) when `Freed` is dropped; a kept block is not handed
// out again before that.
unsafe impl GlobalAlloc for Quarantine {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: `layout` has a non-zero size, as `GlobalAlloc::alloc` requires of callers.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Nothing here allocates: a fetch_add and three stores.
        if ARMED.load(Ordering::Acquire) {
            let index = NEXT.fetch_add(1, Ordering::AcqRel);
            if let Some(slot) = TABLE.get(index) {
                slot.size.store(layout.size(), Ordering::Relaxed);
                slot.align.store(layout.align(), Ordering::Relaxed);
                slot.ptr.store(ptr, Ordering::Release);
                return;
            }
            OVERFLOWED.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: `ptr` was allocated by `System` (through `alloc`) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Start keeping freed blocks. Waits for any other armed period (in another test) to end.
pub fn arm() -> Armed {
    let period = PERIOD.lock().unwrap_or_else(PoisonError::into_inner);
    let start = NEXT.load(Ordering::Acquire);
    let overflowed = OVERFLOWED.load(Ordering::Acquire);
    ARMED.store(true, Ordering::Release);
    Armed { period, start, overflowed }
}

/// An armed period: every block freed meanwhile, on any thread, is kept.
#[derive(Debug)]
pub struct Armed {
    period: MutexGuard<'static, ()>,
    start: usize,
    overflowed: usize,
}

impl Armed {
    /// Stop keeping freed blocks; the ones kept so far can then be searched.
    pub fn disarm(self) -> Freed {
        ARMED.store(false, Ordering::Release);
        let end = NEXT.load(Ordering::Acquire).min(SLOTS);
        let overflowed = OVERFLOWED.load(Ordering::Acquire) - self.overflowed;
        Freed { _period: self.period, slots: self.start.min(end)..end, overflowed }
    }
}

/// The blocks freed during one armed period, returned to the system when this is dropped.
#[derive(Debug)]
pub struct Freed {
    _period: MutexGuard<'static, ()>,
    slots: std::ops::Range<usize>,
    overflowed: usize,
}

impl Freed {
    /// How many blocks were kept.
    pub fn blocks(&self) -> usize {
        self.each(|_| true)
    }

    /// How many blocks were freed without being kept because the table was full (a search
    /// cannot vouch for those).
    pub fn overflowed(&self) -> usize {
        self.overflowed
    }

    /// How many kept blocks hold `run` or more consecutive bytes of `secret` (all of it, if
    /// it is shorter): a prefix left behind by a growing buffer counts too.
    pub fn blocks_containing(&self, secret: &[u8], run: usize) -> usize {
        let run = run.clamp(1, secret.len().max(1));
        if secret.is_empty() {
            return 0;
        }
        self.each(|block| secret.windows(run).any(|part| block.windows(run).any(|w| w == part)))
    }

    /// Count the kept blocks for which `test` holds.
    fn each(&self, mut test: impl FnMut(&[u8]) -> bool) -> usize {
        let mut count = 0;
        for slot in &TABLE[self.slots.clone()] {
            let ptr = slot.ptr.load(Ordering::Acquire);
            if ptr.is_null() {
                continue; // its free raced with disarming and had not finished writing
            }
            // SAFETY: a kept block stays allocated until `Freed` is dropped, its owner freed
            // it so nothing else refers to it, and every byte was written (zeroed on
            // allocation); `size` was stored before `ptr`.
            let block = unsafe { std::slice::from_raw_parts(ptr, slot.size.load(Ordering::Relaxed)) };
            count += usize::from(test(block));
        }
        count
    }
}

impl Drop for Freed {
    fn drop(&mut self) {
        for slot in &TABLE[self.slots.clone()] {
            let ptr = slot.ptr.swap(ptr::null_mut(), Ordering::AcqRel);
            if ptr.is_null() {
                continue; // never written: that block stays allocated (a small leak, in a test)
            }
            let (size, align) = (slot.size.load(Ordering::Relaxed), slot.align.load(Ordering::Relaxed));
            // SAFETY: size and align are those of a `Layout` the block was allocated with.
            let layout = unsafe { Layout::from_size_align_unchecked(size, align) };
            // SAFETY: the block came from `System` with `layout`, and the swap above took it
            // out of the table, so it is freed once.
            unsafe { System.dealloc(ptr, layout) }
        }
    }
}
