//! The one matrix product of the face networks: the `gemm` crate (the engine
//! behind candle's CPU `matmul`) called directly, so results land in the
//! output feature map with no intermediate tensor, zero fill or copy.
//!
//! Every product runs on the calling thread (`Parallelism::None`): the
//! service runs one inference per core side by side, which measured faster
//! than splitting each product across cores (BENCHMARKS.md).

use crate::FaceError;

/// A row-major matrix inside a slice: `rows` × `columns`, rows
/// `row_stride` elements apart.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Matrix<'a> {
    pub(crate) data: &'a [f32],
    pub(crate) rows: usize,
    pub(crate) columns: usize,
    pub(crate) row_stride: usize,
}

impl Matrix<'_> {
    /// Whether every element lies inside `data`.
    fn fits(&self) -> bool {
        self.row_stride >= self.columns
            && (self.rows == 0 || self.columns == 0 || (self.rows - 1) * self.row_stride + self.columns <= self.data.len())
    }
}

/// `out[r · out_row_stride + c] = Σ_k lhs[r][k] · rhs[k][c]`, overwriting.
pub(crate) fn matmul_into(lhs: Matrix<'_>, rhs: Matrix<'_>, out: &mut [f32], out_row_stride: usize) -> Result<(), FaceError> {
    let out_fits =
        out_row_stride >= rhs.columns && (lhs.rows == 0 || rhs.columns == 0 || (lhs.rows - 1) * out_row_stride + rhs.columns <= out.len());
    if lhs.columns != rhs.rows || !lhs.fits() || !rhs.fits() || !out_fits {
        return Err(FaceError::ShapeMismatch("matrix product"));
    }
    if lhs.rows == 0 || rhs.columns == 0 {
        return Ok(());
    }
    // SAFETY: the checks above keep every element the call reads or writes
    // inside its slice: lhs is `rows × columns` with stride `row_stride`,
    // rhs likewise, and out is `lhs.rows × rhs.columns` with stride
    // `out_row_stride`. `out` is borrowed mutably, so it cannot alias
    // either input. With `read_dst = false` the destination is only
    // written, and `Parallelism::None` keeps the call on this thread.
    #[allow(unsafe_code)]
    unsafe {
        gemm::gemm(
            lhs.rows,
            rhs.columns,
            lhs.columns,
            out.as_mut_ptr(),
            1,
            out_row_stride as isize,
            false,
            lhs.data.as_ptr(),
            1,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            1,
            rhs.row_stride as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplies_into_a_strided_destination() {
        // [[1, 2], [3, 4]] × [[5, 6, 7], [8, 9, 10]] into rows 4 apart.
        let lhs = Matrix {
            data: &[1.0, 2.0, 3.0, 4.0],
            rows: 2,
            columns: 2,
            row_stride: 2,
        };
        let rhs = Matrix {
            data: &[5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
            rows: 2,
            columns: 3,
            row_stride: 3,
        };
        let mut out = vec![-1.0; 8];
        matmul_into(lhs, rhs, &mut out, 4).unwrap();
        assert_eq!(out, vec![21.0, 24.0, 27.0, -1.0, 47.0, 54.0, 61.0, -1.0]);
    }

    #[test]
    fn refuses_shapes_that_do_not_fit() {
        let square = Matrix {
            data: &[1.0; 4],
            rows: 2,
            columns: 2,
            row_stride: 2,
        };
        let mut small = vec![0.0; 3];
        assert!(matmul_into(square, square, &mut small, 2).is_err());
        let short = Matrix { data: &[1.0; 3], ..square };
        assert!(matmul_into(short, square, &mut [0.0; 4], 2).is_err());
        let wrong_inner = Matrix {
            rows: 1,
            data: &[1.0; 2],
            ..square
        };
        assert!(matmul_into(square, wrong_inner, &mut [0.0; 4], 2).is_err());
    }
}
