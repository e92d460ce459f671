//! Notebook comfort: what a learner sees when a cell fails.

/// Makes a panic print only its message, the way PyTorch shows only the error:
/// `panicked: a leaf Variable that requires grad is being used in an in-place operation.`
/// followed by the op and the hint, instead of the message plus a 15-line stack backtrace
/// (evcxr runs cells with `RUST_BACKTRACE=1`). The lessons call it once, after `use`.
///
/// ```
/// autograd_core::short_panics();
/// let caught = std::panic::catch_unwind(|| autograd_core::tensor!([1.0, 2.0]).item());
/// assert!(caught.is_err());
/// # let _ = std::panic::take_hook();
/// ```
pub fn short_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("(a panic without a message)");
        eprintln!("panicked: {message}");
    }));
}
