//! Large tensors and the C allocator: why a step on a million points does not page-fault.
//!
//! A training step allocates its large arrays afresh and frees them when the step's graph is
//! dropped. By default glibc's malloc serves blocks above 128 KiB with fresh `mmap`s and gives
//! freed memory at the top of the heap back to the kernel, so the next step touches brand-new
//! pages: one page fault and a zero-fill per 4 KiB. At N = 1 000 000 (4 MB per tensor) that was
//! about two thirds of a linear-regression step. So the first time a tensor of at least
//! [`LARGE_TENSOR_BYTES`] appears, we ask glibc to keep freed memory for reuse instead: blocks up
//! to 32 MiB come from the heap, and up to 512 MiB of freed heap stay with the process.
//!
//! It changes speed only, never a result. Other allocators (macOS, Windows, musl) are left
//! alone. To keep glibc's defaults, set one of its own settings yourself, e.g.
//! `MALLOC_TRIM_THRESHOLD_=131072`, or `GLIBC_TUNABLES=glibc.malloc...`: then this does nothing.

use std::sync::Once;

/// Below this size (glibc's default mmap threshold) a freed block stays in the heap and is reused.
pub(crate) const LARGE_TENSOR_BYTES: usize = 128 << 10;

/// Called with the length of every new tensor; does something once, for the first large one.
#[inline]
pub(crate) fn note_tensor_len(len: usize) {
    if len * std::mem::size_of::<f32>() >= LARGE_TENSOR_BYTES {
        static KEEP: Once = Once::new();
        KEEP.call_once(keep_freed_memory);
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    use std::os::raw::c_int;
    extern "C" {
        // glibc, <malloc.h>
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }
    const M_TRIM_THRESHOLD: c_int = -1;
    const M_MMAP_THRESHOLD: c_int = -3;
    let user_chose = std::env::vars_os().any(|(name, value)| {
        let name = name.to_string_lossy();
        name.starts_with("MALLOC_")
            || (name == "GLIBC_TUNABLES" && value.to_string_lossy().contains("malloc"))
    });
    if user_chose {
        return;
    }
    // SAFETY: mallopt only sets two of malloc's thresholds; it is safe to call at any time, and
    // these values are within glibc's documented ranges (the mmap threshold is at most 32 MiB
    // on 64-bit systems).
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 512 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}
