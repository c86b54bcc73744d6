//! The plugins' global allocator (cargo feature `arena`, on by default; wasm guests only).
//!
//! The server runs every decision in a fresh instance and throws the instance away afterwards,
//! so a plugin's heap never outlives one call of one export. A general-purpose allocator spends
//! most of its work on what such a heap never needs (free lists, coalescing, reuse over a long
//! life), and on the first allocation of every instance it sets itself up again. This one hands
//! out memory from a fixed region of the module's zero-initialised data, one pointer bump per
//! allocation; it gives back only the latest allocation (so a growing `String` or `Vec` extends
//! in place) and falls back to the standard allocator when the region is full, so a plugin that
//! needs more than [`ARENA_BYTES`] still gets it (and the server's memory cap still applies).
//!
//! A plugin that wants another allocator turns the feature off
//! (`default-features = false, features = ["guest"]`) and installs its own.

#![allow(unsafe_code, reason = "a global allocator is an unsafe trait")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The size of the region (bytes). Pages of it that a decision never touches cost nothing.
pub const ARENA_BYTES: usize = 256 * 1024;

/// The region, in the module's zero-initialised data.
#[repr(C, align(16))]
struct Region(UnsafeCell<[u8; ARENA_BYTES]>);

// SAFETY: the bytes are only reached through pointers the allocator hands out, each range to
// one owner at a time; the allocator's own state is the atomic `TOP`.
unsafe impl Sync for Region {}

static REGION: Region = Region(UnsafeCell::new([0; ARENA_BYTES]));

/// Bytes of the region in use (the offset of its first free byte). A wasm instance has one
/// thread; the atomic only makes the static shareable, and compiles to plain loads and stores.
static TOP: AtomicUsize = AtomicUsize::new(0);

/// The allocator: see the module's documentation.
pub struct Arena;

impl Arena {
    fn base() -> usize {
        REGION.0.get() as usize
    }

    /// Whether `ptr` was handed out from the region.
    fn owns(ptr: *mut u8) -> bool {
        let at = ptr as usize;
        at >= Self::base() && at < Self::base() + ARENA_BYTES
    }

    /// Offsets in the region for `layout` after `top`, if it fits.
    fn place(top: usize, layout: Layout) -> Option<(usize, usize)> {
        let base = Self::base();
        let start = (base + top).checked_next_multiple_of(layout.align())? - base;
        let end = start.checked_add(layout.size())?;
        (start < ARENA_BYTES && end <= ARENA_BYTES).then_some((start, end))
    }
}

// SAFETY: every pointer handed out is aligned as asked and its range is in no other live
// allocation: from the region, ranges are handed out above `TOP` and `TOP` only moves back
// over the latest allocation when that one is freed or shrunk; beyond it, `System` keeps its
// own contract. `dealloc` and `realloc` tell the two sources apart by address.
unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let top = TOP.load(Ordering::Relaxed);
        match Self::place(top, layout) {
            Some((start, end)) => {
                TOP.store(end, Ordering::Relaxed);
                (Self::base() + start) as *mut u8
            }
            // SAFETY: `layout` is the caller's, valid as `GlobalAlloc::alloc` requires.
            None => unsafe { System.alloc(layout) },
        }
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if Self::owns(ptr) {
            let start = ptr as usize - Self::base();
            if start + layout.size() == TOP.load(Ordering::Relaxed) {
                TOP.store(start, Ordering::Relaxed);
            }
        } else {
            // SAFETY: not from the region, so from `System` with this layout.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if Self::owns(ptr) {
            let start = ptr as usize - Self::base();
            let latest = start + layout.size() == TOP.load(Ordering::Relaxed);
            if latest && start.checked_add(new_size).is_some_and(|end| end <= ARENA_BYTES) {
                // The latest allocation grows or shrinks in place.
                TOP.store(start + new_size, Ordering::Relaxed);
                return ptr;
            }
            if new_size <= layout.size() {
                return ptr;
            }
        }
        // SAFETY: `new_size` with `layout`'s alignment is a valid layout (the caller's
        // contract); the old block is valid for `layout.size()` bytes, the new one for
        // `new_size`, and they do not overlap; the old block is freed with its own layout.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = self.alloc(new_layout);
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

#[cfg(not(test))]
#[global_allocator]
static ALLOCATOR: Arena = Arena;

#[cfg(test)]
mod tests {
    use super::*;

    /// One test: the region and its top are process-wide.
    #[test]
    fn bumps_reuses_the_latest_and_overflows_to_the_system() {
        let arena = Arena;
        let layout = |size, align| Layout::from_size_align(size, align).unwrap();
        // SAFETY: every pointer is used within its layout and freed once, with its layout.
        unsafe {
            let a = arena.alloc(layout(10, 1));
            assert!(Arena::owns(a));
            a.write_bytes(7, 10);
            let b = arena.alloc(layout(24, 8));
            assert!(Arena::owns(b));
            assert_eq!(b as usize % 8, 0);
            assert!(b as usize >= a as usize + 10, "no overlap");

            // The latest allocation grows and shrinks in place.
            assert_eq!(arena.realloc(b, layout(24, 8), 4000), b);
            assert_eq!(arena.realloc(b, layout(4000, 8), 16), b);
            // Freed, its bytes are handed out again.
            arena.dealloc(b, layout(16, 8));
            let c = arena.alloc(layout(16, 8));
            assert_eq!(c, b);

            // An older allocation moves when it grows, its bytes with it.
            let moved = arena.realloc(a, layout(10, 1), 20);
            assert_ne!(moved, a);
            assert!(Arena::owns(moved));
            assert_eq!(std::slice::from_raw_parts(moved, 10), &[7; 10]);

            // Past the region: the system allocator, told apart by address.
            let big = arena.alloc(layout(ARENA_BYTES, 16));
            assert!(!big.is_null() && !Arena::owns(big));
            big.write_bytes(1, ARENA_BYTES);
            let bigger = arena.realloc(big, layout(ARENA_BYTES, 16), 2 * ARENA_BYTES);
            assert!(!Arena::owns(bigger));
            assert_eq!(*bigger.add(ARENA_BYTES - 1), 1);
            arena.dealloc(bigger, layout(2 * ARENA_BYTES, 16));

            // Filling the region, then a zero-sized request: never a pointer at its end.
            let rest = ARENA_BYTES - TOP.load(Ordering::Relaxed);
            let fill = arena.alloc(layout(rest, 1));
            assert!(Arena::owns(fill));
            let empty = arena.alloc(layout(0, 1));
            assert!(!Arena::owns(empty));
            arena.dealloc(empty, layout(0, 1));
            arena.dealloc(fill, layout(rest, 1));
            arena.dealloc(c, layout(16, 8));
            arena.dealloc(moved, layout(20, 1));
        }
    }
}
