//! state_dicts as safetensors files, with PyTorch's parameter names: a file written by
//! `safetensors.torch.save_file(model.state_dict(), path)` loads here, and a file written here loads in PyTorch.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

use crate::element::Element;
use crate::{Error, Tensor};

/// One tensor read from a file: its shape and values (float32 or float64, kept as read).
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub shape: Vec<usize>,
    pub values: StoredValues,
}

/// The values of a [`Stored`] tensor.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredValues {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl Stored {
    /// The values converted to `T` (PyTorch's `copy_` also converts).
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        match &self.values {
            StoredValues::F32(v) => v.iter().map(|&x| T::from_f64(x as f64)).collect(),
            StoredValues::F64(v) => v.iter().map(|&x| T::from_f64(x)).collect(),
        }
    }

    /// A new leaf tensor with these values.
    pub fn to_tensor<T: Element>(&self) -> Result<Tensor<T>, Error> {
        Tensor::from_vec(self.to_vec(), &self.shape)
    }
}

/// Tensors by name, as in a `state_dict`.
pub type StateDict = BTreeMap<String, Stored>;

fn io_error(path: &Path, reason: impl ToString) -> Error {
    Error::Io { path: path.display().to_string(), reason: reason.to_string() }
}

/// The bytes of a safetensors file holding `tensors` (names as given) and string `metadata`.
pub fn to_safetensors_bytes<T: Element>(
    tensors: &[(String, Tensor<T>)],
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<u8>, Error> {
    let dtype = if T::DTYPE == "float32" { Dtype::F32 } else { Dtype::F64 };
    let buffers: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, t)| {
            let bytes = t.data().iter().flat_map(|v| le_bytes(*v)).collect();
            (name.clone(), t.shape().to_vec(), bytes)
        })
        .collect();
    let views = buffers
        .iter()
        .map(|(name, shape, bytes)| {
            TensorView::new(dtype, shape.clone(), bytes)
                .map(|v| (name.clone(), v))
                .map_err(|e| Error::Invalid { op: "save", reason: format!("{name}: {e}") })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let info: HashMap<String, String> = metadata.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    safetensors::serialize(views, if info.is_empty() { None } else { Some(info) })
        .map_err(|e| Error::Invalid { op: "save", reason: e.to_string() })
}

fn le_bytes<T: Element>(v: T) -> Vec<u8> {
    if T::DTYPE == "float32" { (v.to_f64() as f32).to_le_bytes().to_vec() } else { v.to_f64().to_le_bytes().to_vec() }
}

/// Writes `tensors` to `path` as safetensors (parent directories are created; written to a temporary file and
/// renamed, so a failure leaves no partial file).
pub fn save_safetensors<T: Element>(
    path: &Path,
    tensors: &[(String, Tensor<T>)],
    metadata: &BTreeMap<String, String>,
) -> Result<(), Error> {
    let bytes = to_safetensors_bytes(tensors, metadata)?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io_error(path, format!("cannot create its directory: {e}")))?;
    let name = path.file_name().ok_or_else(|| io_error(path, "not a file name"))?;
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let result = std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| io_error(path, format!("cannot write: {e}")))
}

/// Reads a safetensors file of float32/float64 tensors: the tensors by name and the string metadata.
pub fn load_safetensors(path: &Path) -> Result<(StateDict, BTreeMap<String, String>), Error> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, format!("cannot read: {e}")))?;
    from_safetensors_bytes(&bytes).map_err(|e| match e {
        Error::Invalid { reason, .. } => io_error(path, reason),
        other => other,
    })
}

/// Parses the bytes of a safetensors file.
pub fn from_safetensors_bytes(bytes: &[u8]) -> Result<(StateDict, BTreeMap<String, String>), Error> {
    let bad = |reason: String| Error::Invalid { op: "load", reason };
    let st = SafeTensors::deserialize(bytes).map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let metadata = meta.metadata().clone().unwrap_or_default().into_iter().collect();
    let mut out = StateDict::new();
    for (name, view) in st.tensors() {
        let data = view.data();
        let values = match view.dtype() {
            Dtype::F32 => {
                StoredValues::F32(data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect())
            }
            Dtype::F64 => {
                StoredValues::F64(data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect())
            }
            other => return Err(bad(format!("tensor {name} has dtype {other:?}; nonlin reads F32 and F64"))),
        };
        out.insert(name, Stored { shape: view.shape().to_vec(), values });
    }
    Ok((out, metadata))
}

/// Copies `tensors` into `params` by name (PyTorch's strict `load_state_dict`): every problem is collected
/// first, and nothing changes unless there is none.
pub fn load_into<T: Element>(params: &[(String, Tensor<T>)], tensors: &StateDict) -> Result<(), Error> {
    let missing: Vec<String> =
        params.iter().filter(|(n, _)| !tensors.contains_key(n)).map(|(n, _)| n.clone()).collect();
    let unexpected: Vec<String> = tensors.keys().filter(|k| !params.iter().any(|(n, _)| n == *k)).cloned().collect();
    let mismatched: Vec<String> = params
        .iter()
        .filter_map(|(n, p)| {
            tensors
                .get(n)
                .filter(|s| s.shape != p.shape())
                .map(|s| format!("{n}: the file has shape {:?}, the model {:?}", s.shape, p.shape()))
        })
        .collect();
    if !missing.is_empty() || !unexpected.is_empty() || !mismatched.is_empty() {
        return Err(Error::StateDict { missing, unexpected, mismatched });
    }
    for (n, p) in params {
        p.set_data(&tensors[n].to_vec::<T>())?;
    }
    Ok(())
}
