//! Numbers formatted as Python formats them, for reprs that must match PyTorch's text.

/// Shortest text that reads back to the same value in the value's own precision, spelled as Python spells it.
pub fn python_float(v: f64, single: bool) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // `{:e}` gives the shortest round-trip digits; lay them out with Python's rule: positional for decimal
    // exponents in [-4, 16), otherwise `d.ddde±XX`.
    let sci = if single { format!("{:e}", v as f32) } else { format!("{v:e}") };
    let (mantissa, exp) = sci.split_once('e').expect("LowerExp has an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            let padded = format!("{digits:0<int_len$}");
            let (int, frac) = padded.split_at(int_len);
            format!("{sign}{int}.{}", if frac.is_empty() { "0" } else { frac })
        } else {
            format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        format!("{sign}{first}{rest}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::python_float;

    /// Expected strings are Python's `repr(float(v))` (and numpy's float32 repr for single precision).
    #[test]
    fn formats_like_python() {
        for (v, py) in [
            (0.5, "0.5"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (100.0, "100.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345.6, "123456789012345.6"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (-1.0444259356238218e-7, "-1.0444259356238218e-07"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ] {
            assert_eq!(python_float(v, false), py);
        }
        assert_eq!(python_float(-1.0444259e-7f32 as f64, true), "-1.0444259e-07");
        assert_eq!(python_float(0.1f32 as f64, true), "0.1");
        assert_eq!(python_float(f64::NAN, false), "nan");
        assert_eq!(python_float(f64::NEG_INFINITY, true), "-inf");
    }
}
