//! Reading the PyTorch reference files of `tests/reference/` (made by
//! `scripts/make_reference.py`; the folder's README says what each holds) and comparing with them.

#![allow(dead_code)] // each test file uses its own part

use serde_json::Value;

/// One reference file, parsed.
pub fn reference(file: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the PyTorch reference {}: {e} (`make reference` writes it)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

/// A JSON list of float32 values widened to f64, back as the exact f32s.
pub fn floats(v: &Value) -> Vec<f32> {
    let list = v.as_array().expect("a list of numbers");
    list.iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

pub fn assert_bits(what: &str, ours: &[f32], torch: &[f32]) {
    assert_eq!(ours.len(), torch.len(), "{what}: length");
    for (i, (a, b)) in ours.iter().zip(torch).enumerate() {
        assert_eq!(
            a.to_bits(),
            b.to_bits(),
            "{what}[{i}]: ours {a:e}, PyTorch {b:e}"
        );
    }
}

pub fn assert_close(what: &str, ours: &[f32], torch: &[f32]) {
    assert_eq!(ours.len(), torch.len(), "{what}: length");
    for (i, (a, b)) in ours.iter().zip(torch).enumerate() {
        let rel = ((a - b).abs() / b.abs().max(f32::MIN_POSITIVE)) as f64;
        assert!(
            rel <= 1e-5 || a == b,
            "{what}[{i}]: ours {a:e}, PyTorch {b:e}, relative error {rel:e}"
        );
    }
}
