//! Broadcasting and dimension helpers.

use crate::Error;

/// NumPy/PyTorch broadcasting of two shapes.
pub(crate) fn broadcast(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>, Error> {
    let n = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| if i + s.len() < n { 1 } else { s[i + s.len() - n] };
    (0..n)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y => Ok(x),
            (1, y) => Ok(y),
            (x, 1) => Ok(x),
            _ => Err(Error::Broadcast { op, lhs: a.to_vec(), rhs: b.to_vec() }),
        })
        .collect()
}

/// For each element of a tensor of shape `out`, the offset of the element of a tensor of shape `input` that
/// broadcasts to it (`input` must broadcast to `out`).
pub(crate) fn broadcast_offsets(input: &[usize], out: &[usize]) -> Vec<usize> {
    let n = out.len();
    let pad = n - input.len();
    // Row-major strides of `input`, zero along broadcast dimensions.
    let mut strides = vec![0usize; n];
    let mut s = 1;
    for i in (0..input.len()).rev() {
        strides[pad + i] = if input[i] == 1 { 0 } else { s };
        s *= input[i];
    }
    let total: usize = out.iter().product();
    let mut offsets = Vec::with_capacity(total);
    let mut index = vec![0usize; n];
    let mut offset = 0usize;
    for _ in 0..total {
        offsets.push(offset);
        // Increment the multi-index, updating the offset incrementally.
        for d in (0..n).rev() {
            index[d] += 1;
            offset += strides[d];
            if index[d] < out[d] {
                break;
            }
            offset -= strides[d] * index[d];
            index[d] = 0;
        }
    }
    offsets
}

/// Sums a gradient of shape `out` down to the shape `input` that was broadcast to it.
pub(crate) fn reduce_to<T: nonlin::Float>(grad: &[T], input: &[usize], out: &[usize]) -> Vec<T> {
    if input == out {
        return grad.to_vec();
    }
    let mut acc = vec![T::ZERO; input.iter().product()];
    for (g, o) in grad.iter().zip(broadcast_offsets(input, out)) {
        acc[o] = acc[o] + *g;
    }
    acc
}

/// Resolves a possibly negative dimension index.
pub(crate) fn normalize_dim(op: &'static str, dim: isize, ndim: usize) -> Result<usize, Error> {
    let n = ndim.max(1) as isize;
    let d = if dim < 0 { dim + n } else { dim };
    if d < 0 || d >= n {
        return Err(Error::Dim { op, dim, ndim });
    }
    Ok(d as usize)
}

/// `(outer, size, inner)` of a row-major shape around `dim`.
pub(crate) fn split_at_dim(shape: &[usize], dim: usize) -> (usize, usize, usize) {
    if shape.is_empty() {
        return (1, 1, 1);
    }
    (shape[..dim].iter().product(), shape[dim], shape[dim + 1..].iter().product())
}
