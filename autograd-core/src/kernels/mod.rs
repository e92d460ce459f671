//! Speed only: the loops behind the ops. **A first reading can skip this module.**
//!
//! Each function here computes something a line of ndarray could (a sum, a matrix product, `f`
//! on every element); its first doc line says what. The rest of the code is about two things
//! that change no formula:
//! - *the same bits as PyTorch*: floating-point addition is not associative, so a sum gives the
//!   last bit of PyTorch's result only if it adds in PyTorch's order (four or eight running
//!   sums, left to right in a matrix product); the reference traces check this bit for bit;
//! - *speed*: blocks that the compiler turns into vector instructions, tiles of a matrix
//!   product held in registers, copies compiled for AVX2 and AVX-512 ([`simd_fn!`]), and big
//!   tensors that reuse freed memory.
//!
//! | file | what | what makes it long |
//! |---|---|---|
//! | `sums.rs` | `sum_all`, `sum_along`, `sum_map`, `dot`, `dot_columns`, `zip_sum`, `zip_sum_and_map`, `squares_dot_and_sum` | PyTorch's summation orders, eight running sums |
//! | `matmul.rs` | `matmul_2d`: `C = A B` | 4 x 16 tiles held in registers, a transposed `A` read in place |
//! | `elementwise.rs` | `map`, `zip_map`, `zip_broadcast`: `f` on every element | loops the compiler turns into vector instructions, results written once |
//! | `tanh.rs` | `tanh` | a branch-free polynomial within 1 ulp (the C library's costs 20 ns) |
//! | `simd.rs` | `simd_fn!` | AVX2 and AVX-512 copies of a function, chosen at run time |
//! | `memory.rs` | `note_tensor_len` | glibc keeps freed memory, so big steps do not page-fault |
//!
//! The ops call these; nothing here knows about tensors or gradients.

mod elementwise;
mod matmul;
pub(crate) mod memory;
mod simd;
mod sums;
mod tanh;

pub(crate) use elementwise::{map, zip_broadcast, zip_map};
pub use matmul::matmul_2d;
pub(crate) use sums::{
    dot, dot_and_sum, squares_dot_and_sum, sum_all, sum_along, sum_map, zip_sum, zip_sum_and_map,
};
pub use tanh::tanh;
