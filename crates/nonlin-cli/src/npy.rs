//! Reading and writing NumPy `.npy` files of `<f4` / `<f8` in C order — the subset `nonlin eval` needs.
//!
//! Format: <https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html>. Hand-written rather than a
//! dependency because the subset is ~150 lines and the errors must name exactly what is unsupported.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"\x93NUMPY";

/// The element types nonlin reads and writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl Data {
    pub fn dtype(&self) -> &'static str {
        match self {
            Data::F32(_) => "float32",
            Data::F64(_) => "float64",
        }
    }
}

/// An array read from or to be written to a `.npy` file.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub shape: Vec<usize>,
    pub data: Data,
}

/// Why a file could not be read or written.
#[derive(Debug)]
pub enum NpyError {
    Io { path: PathBuf, action: &'static str, source: std::io::Error },
    NotNpy { path: PathBuf },
    Version { path: PathBuf, major: u8, minor: u8 },
    Header { path: PathBuf, reason: String },
    Dtype { path: PathBuf, descr: String },
    FortranOrder { path: PathBuf },
    Size { path: PathBuf, expected: usize, got: usize },
}

impl fmt::Display for NpyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NpyError::Io { path, action, source } => write!(f, "cannot {action} {}: {source}", path.display()),
            NpyError::NotNpy { path } => write!(f, "{} is not a .npy file (no \\x93NUMPY magic)", path.display()),
            NpyError::Version { path, major, minor } => {
                write!(f, "{}: unsupported .npy format version {major}.{minor}", path.display())
            }
            NpyError::Header { path, reason } => {
                write!(f, "{}: malformed .npy header: {reason}", path.display())
            }
            NpyError::Dtype { path, descr } => write!(
                f,
                "{}: unsupported dtype '{descr}' (nonlin reads little-endian float32 '<f4' and float64 '<f8')",
                path.display()
            ),
            NpyError::FortranOrder { path } => write!(
                f,
                "{}: Fortran-order arrays are not supported (save np.ascontiguousarray(x) instead)",
                path.display()
            ),
            NpyError::Size { path, expected, got } => write!(
                f,
                "{}: the header's shape needs {expected} bytes of data but the file has {got}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for NpyError {}

/// Reads a `.npy` file of `<f4` or `<f8` in C order.
pub fn read(path: &Path) -> Result<Array, NpyError> {
    let bytes = fs::read(path).map_err(|source| NpyError::Io { path: path.into(), action: "read", source })?;
    parse(&bytes).map_err(|e| e.at(path))
}

/// Errors of [`parse`], before the path is known.
enum ParseError {
    NotNpy,
    Version(u8, u8),
    Header(String),
    Dtype(String),
    FortranOrder,
    Size(usize, usize),
}

impl ParseError {
    fn at(self, path: &Path) -> NpyError {
        let path = path.to_path_buf();
        match self {
            ParseError::NotNpy => NpyError::NotNpy { path },
            ParseError::Version(major, minor) => NpyError::Version { path, major, minor },
            ParseError::Header(reason) => NpyError::Header { path, reason },
            ParseError::Dtype(descr) => NpyError::Dtype { path, descr },
            ParseError::FortranOrder => NpyError::FortranOrder { path },
            ParseError::Size(expected, got) => NpyError::Size { path, expected, got },
        }
    }
}

fn parse(bytes: &[u8]) -> Result<Array, ParseError> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(ParseError::NotNpy);
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (header_len, start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize, 12),
        _ => return Err(ParseError::Version(major, minor)),
    };
    let header = bytes
        .get(start..start + header_len)
        .ok_or_else(|| ParseError::Header("the file ends inside the header".into()))?;
    let header = std::str::from_utf8(header).map_err(|_| ParseError::Header("header is not text".into()))?;
    let dict = Header::parse(header).map_err(ParseError::Header)?;
    if dict.fortran_order {
        return Err(ParseError::FortranOrder);
    }
    let count = dict
        .shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| ParseError::Header("shape is too large".into()))?;
    let body = &bytes[start + header_len..];
    let size = match dict.descr.as_str() {
        "<f4" => 4,
        "<f8" => 8,
        _ => return Err(ParseError::Dtype(dict.descr)),
    };
    let expected = count.checked_mul(size).ok_or_else(|| ParseError::Header("shape is too large".into()))?;
    if body.len() != expected {
        return Err(ParseError::Size(expected, body.len()));
    }
    let data = if size == 4 {
        Data::F32(body.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect())
    } else {
        Data::F64(body.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect())
    };
    Ok(Array { shape: dict.shape, data })
}

/// The three keys of an `.npy` header dict.
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

impl Header {
    /// Parses the Python literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    fn parse(text: &str) -> Result<Header, String> {
        let body = text.trim().strip_prefix('{').and_then(|t| t.strip_suffix('}')).ok_or("header is not a dict")?;
        let (mut descr, mut fortran_order, mut shape) = (None, None, None);
        let mut rest = body.trim();
        while !rest.is_empty() {
            let (key, after) = quoted(rest).ok_or("expected a quoted key")?;
            let after = after.trim_start().strip_prefix(':').ok_or("expected ':' after a key")?.trim_start();
            rest = match key {
                "descr" => {
                    let (v, after) =
                        quoted(after).ok_or("descr is not a string (structured dtypes are not supported)")?;
                    descr = Some(v.to_string());
                    after
                }
                "fortran_order" => {
                    let (v, after) = if let Some(a) = after.strip_prefix("True") {
                        (true, a)
                    } else if let Some(a) = after.strip_prefix("False") {
                        (false, a)
                    } else {
                        return Err("fortran_order is not True or False".into());
                    };
                    fortran_order = Some(v);
                    after
                }
                "shape" => {
                    let inner = after.strip_prefix('(').ok_or("shape is not a tuple")?;
                    let end = inner.find(')').ok_or("shape tuple is not closed")?;
                    let dims = inner[..end]
                        .split(',')
                        .map(str::trim)
                        .filter(|d| !d.is_empty())
                        .map(|d| d.trim_end_matches('L').parse::<usize>().map_err(|_| format!("bad dimension '{d}'")))
                        .collect::<Result<Vec<_>, _>>()?;
                    shape = Some(dims);
                    &inner[end + 1..]
                }
                other => return Err(format!("unexpected key '{other}'")),
            };
            rest = rest.trim_start();
            rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        }
        Ok(Header {
            descr: descr.ok_or("missing 'descr'")?,
            fortran_order: fortran_order.ok_or("missing 'fortran_order'")?,
            shape: shape.ok_or("missing 'shape'")?,
        })
    }
}

/// Splits `'text' rest` (or with double quotes) into `text` and `rest`.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let q = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let end = s[1..].find(q)? + 1;
    Some((&s[1..end], &s[end + 1..]))
}

/// The bytes of a version 1.0 `.npy` file holding `array`.
pub fn encode(array: &Array) -> Vec<u8> {
    let (descr, item) = match &array.data {
        Data::F32(_) => ("<f4", 4),
        Data::F64(_) => ("<f8", 8),
    };
    let shape = match array.shape.len() {
        1 => format!("({},)", array.shape[0]),
        _ => format!("({})", array.shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // Pad with spaces so that magic + version + length + header + '\n' is a multiple of 64 bytes.
    let unpadded = MAGIC.len() + 2 + 2 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + item * array.shape.iter().product::<usize>());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    match &array.data {
        Data::F32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Data::F64(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
    }
    out
}

/// Writes `array` to `path` atomically (parent directories are created; see [`crate::plot_util::write_atomic`]),
/// so a failure leaves no partial file behind.
pub fn write(path: &Path, array: &Array) -> Result<(), String> {
    crate::plot_util::write_atomic(path, &encode(array))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_shapes_and_dtypes() {
        for array in [
            Array { shape: vec![2, 3], data: Data::F32(vec![1.0, -0.0, f32::NAN, 4.0, 5.0, f32::INFINITY]) },
            Array { shape: vec![3], data: Data::F64(vec![0.5, -1.5, 1e-300]) },
            Array { shape: vec![], data: Data::F64(vec![7.0]) },
            Array { shape: vec![0, 4], data: Data::F32(vec![]) },
        ] {
            let bytes = encode(&array);
            assert_eq!(
                (bytes.len()
                    - array.shape.iter().product::<usize>() * if matches!(array.data, Data::F32(_)) { 4 } else { 8 })
                    % 64,
                0
            );
            let back = parse(&bytes).ok().unwrap();
            assert_eq!(back.shape, array.shape);
            match (&back.data, &array.data) {
                (Data::F32(a), Data::F32(b)) => {
                    assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()))
                }
                (Data::F64(a), Data::F64(b)) => {
                    assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()))
                }
                _ => panic!("dtype changed"),
            }
        }
    }

    #[test]
    fn reads_numpy_header_variants() {
        let h = Header::parse("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }").unwrap();
        assert_eq!((h.descr.as_str(), h.fortran_order, h.shape), ("<f8", false, vec![3, 4]));
        let h = Header::parse("{\"shape\": (), \"fortran_order\": True, \"descr\": \"<f4\"}").unwrap();
        assert_eq!((h.descr.as_str(), h.fortran_order, h.shape), ("<f4", true, vec![]));
        assert!(Header::parse("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}").is_err());
        assert!(Header::parse("not a dict").is_err());
    }
}
