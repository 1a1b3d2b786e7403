//! Shared by the parity tests: reading the reference files' float lists.

use serde_json::Value;

/// A JSON list of hex bit patterns (as the tools/reference scripts write them) as f64 values.
pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| f64::from_bits(u64::from_str_radix(s.as_str().unwrap(), 16).unwrap()))
        .collect()
}
