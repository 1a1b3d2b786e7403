//! The element types a [`Tensor`](crate::Tensor) holds: `f32` and `f64`.

/// `f32` or `f64`, with the matrix product the tensor layer needs.
pub trait Element: nonlin::Float {
    /// `self·a + b` with one rounding.
    fn mul_add(self, a: Self, b: Self) -> Self;

    /// `c = alpha·a·b + beta·c` for row-major `a` (m×k), `b` (k×n), `c` (m×n), with explicit strides so that
    /// transposed operands need no copy.
    #[allow(clippy::too_many_arguments)]
    fn gemm(
        m: usize,
        k: usize,
        n: usize,
        a: &[Self],
        a_strides: (isize, isize),
        b: &[Self],
        b_strides: (isize, isize),
        beta: Self,
        c: &mut [Self],
    );
}

macro_rules! gemm_impl {
    ($t:ty, $f:path) => {
        impl Element for $t {
            fn mul_add(self, a: Self, b: Self) -> Self {
                <$t>::mul_add(self, a, b)
            }

            fn gemm(
                m: usize,
                k: usize,
                n: usize,
                a: &[Self],
                (rsa, csa): (isize, isize),
                b: &[Self],
                (rsb, csb): (isize, isize),
                beta: Self,
                c: &mut [Self],
            ) {
                assert!(c.len() >= m * n, "gemm: output too small");
                if m == 0 || n == 0 {
                    return;
                }
                let last = |rows: usize, cols: usize, rs: isize, cs: isize| {
                    if rows == 0 || cols == 0 { 0 } else { (rows as isize - 1) * rs + (cols as isize - 1) * cs }
                };
                assert!(k == 0 || (last(m, k, rsa, csa) as usize) < a.len(), "gemm: a too small");
                assert!(k == 0 || (last(k, n, rsb, csb) as usize) < b.len(), "gemm: b too small");
                // SAFETY: the asserts above keep every index the kernel touches inside the three slices,
                // and `c` does not alias `a` or `b` (it is a distinct `&mut`).
                unsafe {
                    $f(m, k, n, 1.0, a.as_ptr(), rsa, csa, b.as_ptr(), rsb, csb, beta, c.as_mut_ptr(), n as isize, 1);
                }
            }
        }
    };
}

gemm_impl!(f32, matrixmultiply::sgemm);
gemm_impl!(f64, matrixmultiply::dgemm);
