//! Numeric CSV data sets: a header row, feature columns, one target column.

use std::path::Path;

use crate::{Error, Tensor};

/// A data set read from CSV: `n` rows of `features.len() / n` feature values, and one target per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub feature_names: Vec<String>,
    pub target_name: String,
    /// Row-major, `n × f`.
    pub features: Vec<f32>,
    pub targets: Vec<f32>,
}

fn err(path: &Path, reason: String) -> Error {
    Error::Io { path: path.display().to_string(), reason }
}

impl Dataset {
    /// Reads `path`; `target` names the target column (default: the last). Every cell must be a finite number.
    pub fn read_csv(path: &Path, target: Option<&str>) -> Result<Dataset, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| err(path, format!("cannot read: {e}")))?;
        Dataset::parse_csv(&text, target).map_err(|reason| err(path, reason))
    }

    /// Parses CSV text (see [`Dataset::read_csv`]); the error names the line.
    pub fn parse_csv(text: &str, target: Option<&str>) -> Result<Dataset, String> {
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let (_, header) = lines.next().ok_or("the file is empty (expected a header row and data rows)")?;
        let names: Vec<String> = header.split(',').map(|s| s.trim().trim_matches('"').to_string()).collect();
        if names.len() < 2 {
            return Err("the header has fewer than 2 columns (need features and a target)".into());
        }
        let t = match target {
            Some(name) => names
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| format!("no column named '{name}' (columns: {})", names.join(", ")))?,
            None => names.len() - 1,
        };
        let (mut features, mut targets) = (Vec::new(), Vec::new());
        for (i, line) in lines {
            let cells: Vec<&str> = line.split(',').collect();
            if cells.len() != names.len() {
                return Err(format!("line {}: {} fields, but the header has {}", i + 1, cells.len(), names.len()));
            }
            for (c, cell) in cells.iter().enumerate() {
                let v: f32 = cell.trim().parse().ok().filter(|v: &f32| v.is_finite()).ok_or_else(|| {
                    format!("line {}, column '{}': '{}' is not a finite number", i + 1, names[c], cell.trim())
                })?;
                if c == t { targets.push(v) } else { features.push(v) }
            }
        }
        if targets.is_empty() {
            return Err("the file has a header but no data rows".into());
        }
        let target_name = names[t].clone();
        let feature_names = names.into_iter().enumerate().filter(|(c, _)| *c != t).map(|(_, n)| n).collect();
        Ok(Dataset { feature_names, target_name, features, targets })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// `true` without rows.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Number of feature columns.
    pub fn num_features(&self) -> usize {
        self.feature_names.len()
    }

    /// Targets as class indices for `classes` classes; the error names the first bad row (line = row + 2).
    pub fn class_targets(&self, classes: usize) -> Result<Vec<usize>, String> {
        self.targets
            .iter()
            .enumerate()
            .map(|(r, &v)| {
                if v >= 0.0 && v.fract() == 0.0 && (v as usize) < classes {
                    Ok(v as usize)
                } else {
                    Err(format!(
                        "line {}: label {v} in column '{}' is not a class id in 0..{} (the model has {classes} outputs)",
                        r + 2,
                        self.target_name,
                        classes - 1
                    ))
                }
            })
            .collect()
    }

    /// Rows `rows` (indices) as a `[rows, features]` tensor.
    pub fn batch(&self, rows: &[usize]) -> Tensor {
        let f = self.num_features();
        let mut data = Vec::with_capacity(rows.len() * f);
        for &r in rows {
            data.extend_from_slice(&self.features[r * f..(r + 1) * f]);
        }
        Tensor::from_vec(data, &[rows.len(), f]).expect("rows × features values")
    }

    /// All rows as one tensor.
    pub fn all(&self) -> Tensor {
        Tensor::from_vec(self.features.clone(), &[self.len(), self.num_features()]).expect("n × f values")
    }
}
