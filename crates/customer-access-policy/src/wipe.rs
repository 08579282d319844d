//! Secret strings built without leaving copies in freed memory.
//!
//! A `String` that outgrows its buffer reallocates, and the allocator frees the old buffer
//! as it is, with whatever part of the secret it held; wrapping the finished string in
//! [`Zeroizing`] wipes only the last buffer. These helpers move to a larger zeroizing buffer
//! themselves instead, so every buffer that ever held the secret is wiped before it is freed.
//!
//! Not covered: the normalisation iterators keep a few pending characters in small inline
//! buffers, which move to the heap (and are freed unwiped) only for a run of more than four
//! combining marks; that is inside `unicode-normalization`.

use zeroize::Zeroizing;

/// Collect `chars` into a string that is wiped when dropped, starting with room for
/// `capacity` bytes (the input's length fits the common case without ever growing).
pub(crate) fn collect_secret(chars: impl Iterator<Item = char>, capacity: usize) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(capacity));
    for c in chars {
        reserve_secret(&mut out, c.len_utf8());
        out.push(c);
    }
    out
}

/// Make room for `additional` more bytes in `out` without a reallocation that would free an
/// unwiped buffer: copy into a larger zeroizing buffer and drop (wipe) the old one.
pub(crate) fn reserve_secret(out: &mut Zeroizing<String>, additional: usize) {
    let needed = out.len().saturating_add(additional);
    if needed <= out.capacity() {
        return;
    }
    let mut larger = Zeroizing::new(String::with_capacity(needed.max(out.capacity().saturating_mul(2))));
    larger.push_str(out);
    *out = larger;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_past_the_first_buffer_and_keeps_every_character() {
        let text = "aé漢😀".repeat(10);
        let collected = collect_secret(text.chars(), 1);
        assert_eq!(collected.as_str(), text);
        assert!(collected.capacity() >= text.len());
    }
}
