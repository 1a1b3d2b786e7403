//! `repr(tensor)` exactly as PyTorch prints it (`torch/_tensor_str.py` with default print options: precision 4,
//! threshold 1000, edgeitems 3, linewidth 80).

use std::fmt;

use super::Tensor;
use crate::element::Element;

const PRECISION: usize = 4;
const THRESHOLD: usize = 1000;
const EDGEITEMS: usize = 3;
const LINEWIDTH: usize = 80;

/// Python's `"{:.{p}e}".format(v)`: Rust's digits with Python's exponent (`e+05`, `e-10`).
fn python_sci(v: f64, precision: usize) -> String {
    if !v.is_finite() {
        return python_nonfinite(v);
    }
    let s = format!("{v:.precision$e}");
    let (mantissa, exp) = s.split_once('e').expect("LowerExp has an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    format!("{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

/// Python's `"{:.{p}f}".format(v)`.
fn python_fixed(v: f64, precision: usize) -> String {
    if !v.is_finite() { python_nonfinite(v) } else { format!("{v:.precision$}") }
}

fn python_nonfinite(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

/// `torch._tensor_str._Formatter` for floating dtypes.
struct Formatter {
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
}

impl Formatter {
    fn new(values: &[f64]) -> Self {
        let mut f = Formatter { int_mode: true, sci_mode: false, max_width: 1 };
        let nonzero_finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite() && *v != 0.0).collect();
        if nonzero_finite.is_empty() {
            return f;
        }
        let min = nonzero_finite.iter().map(|v| v.abs()).fold(f64::INFINITY, f64::min);
        let max = nonzero_finite.iter().map(|v| v.abs()).fold(0.0, f64::max);
        f.int_mode = nonzero_finite.iter().all(|v| *v == v.ceil());
        f.sci_mode = max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4;
        for &v in &nonzero_finite {
            let width = match (f.int_mode, f.sci_mode) {
                (_, true) => python_sci(v, PRECISION).len(),
                (true, false) => format!("{v:.0}").len() + 1,
                (false, false) => python_fixed(v, PRECISION).len(),
            };
            f.max_width = f.max_width.max(width);
        }
        f
    }

    fn format(&self, v: f64) -> String {
        let s = if self.sci_mode {
            python_sci(v, PRECISION)
        } else if self.int_mode {
            let mut s = python_fixed(v, 0);
            if v.is_finite() {
                s.push('.');
            }
            s
        } else {
            python_fixed(v, PRECISION)
        };
        format!("{s:>width$}", width = self.max_width)
    }
}

/// A row-major view used for printing: values and shape.
struct View<'a> {
    data: &'a [f64],
    shape: &'a [usize],
}

impl View<'_> {
    fn rows(&self) -> usize {
        self.shape[0]
    }

    fn row(&self, i: usize) -> View<'_> {
        let inner: usize = self.shape[1..].iter().product();
        View { data: &self.data[i * inner..(i + 1) * inner], shape: &self.shape[1..] }
    }
}

/// The values the formatter sees when summarizing (`get_summarized_data`).
fn summarized(v: &View, out: &mut Vec<f64>) {
    match v.shape.len() {
        0 => out.extend_from_slice(v.data),
        1 => {
            let n = v.rows();
            if n > 2 * EDGEITEMS {
                out.extend_from_slice(&v.data[..EDGEITEMS]);
                out.extend_from_slice(&v.data[n - EDGEITEMS..]);
            } else {
                out.extend_from_slice(v.data);
            }
        }
        _ => {
            let n = v.rows();
            let rows: Vec<usize> =
                if n > 2 * EDGEITEMS { (0..EDGEITEMS).chain(n - EDGEITEMS..n).collect() } else { (0..n).collect() };
            for i in rows {
                summarized(&v.row(i), out);
            }
        }
    }
}

fn vector_str(v: &View, indent: usize, summarize: bool, f: &Formatter) -> String {
    let element_length = f.max_width + 2;
    let per_line = ((LINEWIDTH.saturating_sub(indent)) / element_length).max(1);
    let n = v.rows();
    let data: Vec<String> = if summarize && n > 2 * EDGEITEMS {
        v.data[..EDGEITEMS]
            .iter()
            .map(|&x| f.format(x))
            .chain(std::iter::once(" ...".to_string()))
            .chain(v.data[n - EDGEITEMS..].iter().map(|&x| f.format(x)))
            .collect()
    } else {
        v.data.iter().map(|&x| f.format(x)).collect()
    };
    let lines: Vec<String> = data.chunks(per_line).map(|c| c.join(", ")).collect();
    format!("[{}]", lines.join(&format!(",\n{}", " ".repeat(indent + 1))))
}

fn tensor_str(v: &View, indent: usize, summarize: bool, f: &Formatter) -> String {
    match v.shape.len() {
        0 => f.format(v.data[0]),
        1 => vector_str(v, indent, summarize, f),
        dim => {
            let n = v.rows();
            let slices: Vec<String> = if summarize && n > 2 * EDGEITEMS {
                (0..EDGEITEMS)
                    .map(|i| tensor_str(&v.row(i), indent + 1, summarize, f))
                    .chain(std::iter::once("...".to_string()))
                    .chain((n - EDGEITEMS..n).map(|i| tensor_str(&v.row(i), indent + 1, summarize, f)))
                    .collect()
            } else {
                (0..n).map(|i| tensor_str(&v.row(i), indent + 1, summarize, f)).collect()
            };
            let sep = format!(",{}{}", "\n".repeat(dim - 1), " ".repeat(indent + 1));
            format!("[{}]", slices.join(&sep))
        }
    }
}

fn add_suffixes(tensor_str: String, suffixes: &[String], indent: usize) -> String {
    let mut out = tensor_str;
    // Python: len(s) - s.rfind("\n") + 1, with rfind = -1 when there is no newline.
    let mut last_line_len = match out.rfind('\n') {
        Some(i) => out.len() - i + 1,
        None => out.len() + 2,
    };
    for suffix in suffixes {
        if last_line_len + suffix.len() + 2 > LINEWIDTH {
            out.push_str(&format!(",\n{}{suffix}", " ".repeat(indent)));
            last_line_len = indent + suffix.len();
        } else {
            out.push_str(&format!(", {suffix}"));
            last_line_len += suffix.len() + 2;
        }
    }
    out.push(')');
    out
}

fn python_tuple(shape: &[usize]) -> String {
    match shape {
        [d] => format!("({d},)"),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

impl<T: Element> Tensor<T> {
    /// The text `repr(tensor)` gives in PyTorch.
    ///
    /// ```
    /// use nonlin_nn::Tensor;
    /// let t = Tensor::from_vec(vec![0.5f32, -1.0, 2.25], &[3])?;
    /// assert_eq!(t.repr(), "tensor([ 0.5000, -1.0000,  2.2500])");
    /// # Ok::<(), nonlin_nn::Error>(())
    /// ```
    pub fn repr(&self) -> String {
        let prefix = "tensor(";
        let indent = prefix.len();
        let mut suffixes = Vec::new();
        let is_default_dtype = T::DTYPE == "float32";
        let values: Vec<f64> = self.data().iter().map(|v| v.to_f64()).collect();
        let shape = self.shape();
        let body = if values.is_empty() {
            if shape.len() != 1 {
                suffixes.push(format!("size={}", python_tuple(shape)));
            }
            if !is_default_dtype {
                suffixes.push(format!("dtype=torch.{}", T::DTYPE));
            }
            "[]".to_string()
        } else {
            if !is_default_dtype {
                suffixes.push(format!("dtype=torch.{}", T::DTYPE));
            }
            let view = View { data: &values, shape };
            let summarize = values.len() > THRESHOLD;
            let formatter = if summarize {
                let mut sub = Vec::new();
                summarized(&view, &mut sub);
                Formatter::new(&sub)
            } else {
                Formatter::new(&values)
            };
            tensor_str(&view, indent, summarize, &formatter)
        };
        if let Some(node) = self.grad_fn() {
            suffixes.push(format!("grad_fn=<{}>", node.name()));
        } else if self.requires_grad() {
            suffixes.push("requires_grad=True".into());
        }
        add_suffixes(format!("{prefix}{body}"), &suffixes, indent)
    }
}

impl<T: Element> fmt::Display for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr())
    }
}

impl<T: Element> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr())
    }
}
