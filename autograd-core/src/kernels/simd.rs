//! Wider vector instructions for the loops over a tensor's numbers, when the CPU has them.
//!
//! Rust compiles for the oldest x86-64 by default, whose vector registers hold 4 floats. Most
//! x86-64 CPUs since 2013 have AVX2, with registers of 8, and recent server CPUs (Intel since
//! 2017, AMD since 2022) AVX-512, with registers of 16. A function defined inside [`simd_fn!`]
//! is compiled three times, plain, for AVX2 and for AVX-512, and picks one at run time: with
//! AVX2 the matmul of the MLP benchmark runs about 2.5 times faster than plain; with AVX-512
//! the whole MLP step another 1.3 to 1.9 times (measured on a Xeon). Results do not change by a
//! bit: each lane does the same IEEE operations in the same order (the compiler may not
//! reassociate float arithmetic, and fused multiply-add stays off), only more lanes at a time.

/// `simd_fn! { fn name(args) -> Output { body } }`: defines `name`, which runs `body` compiled
/// for AVX-512F or AVX2 where the CPU has them (checked once by std, then cached) and as plain
/// code elsewhere. What `body` calls should be small or `#[inline(always)]`, to be compiled into
/// the wide copies.
macro_rules! simd_fn {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[inline(always)]
            fn body($($arg: $ty),*) -> $ret $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                unsafe fn avx512($($arg: $ty),*) -> $ret {
                    body($($arg),*)
                }
                #[target_feature(enable = "avx2")]
                unsafe fn avx2($($arg: $ty),*) -> $ret {
                    body($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has AVX-512F, checked just above.
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2, checked just above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}

pub(crate) use simd_fn;
