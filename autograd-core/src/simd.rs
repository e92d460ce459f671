//! Wider vector instructions for the loops over a tensor's numbers, when the CPU has them.
//!
//! Rust compiles for the oldest x86-64 by default, whose vector registers hold 4 floats. Most
//! x86-64 CPUs since 2013 have AVX2, with registers of 8. A function defined inside
//! [`avx2_fn!`] is compiled twice, plain and for AVX2, and picks one at run time: the matmul of
//! the MLP benchmark runs about 2.5 times faster. Results do not change by a bit: each lane does
//! the same IEEE operations in the same order (fused multiply-add stays off), eight at a time
//! instead of four.

/// `avx2_fn! { fn name(args) -> Output { body } }`: defines `name`, which runs `body` compiled
/// for AVX2 where the CPU has it (checked once by std, then cached) and as plain code elsewhere.
/// What `body` calls should be small or `#[inline(always)]`, to be compiled into the AVX2 copy.
macro_rules! avx2_fn {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[inline(always)]
            fn body($($arg: $ty),*) -> $ret $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2($($arg: $ty),*) -> $ret {
                    body($($arg),*)
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

pub(crate) use avx2_fn;
