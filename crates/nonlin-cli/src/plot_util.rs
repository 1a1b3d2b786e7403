//! Shared by the commands that write figures and files.

use std::path::Path;

use nonlin_plot::{Color, Figure, Series, TAB10};

/// Writes `bytes` to `path` through a temporary file in the same directory (created if needed), so a failure
/// leaves no partial file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the directory for {}: {e}", path.display()))?;
    let name = path.file_name().ok_or_else(|| format!("{} is not a file name", path.display()))?;
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A line chart in the figures' style: one tab10 colour per series.
pub fn line_figure(
    title: &str,
    xlabel: &str,
    ylabel: &str,
    series: &[(String, Vec<(f64, f64)>)],
    ylog: bool,
) -> Figure {
    Figure {
        title: Some(title.into()),
        xlabel: Some(xlabel.into()),
        ylabel: Some(ylabel.into()),
        series: series
            .iter()
            .enumerate()
            .map(|(i, (label, points))| Series {
                label: label.clone(),
                segments: vec![points.clone()],
                color: Color::hex(TAB10[i % TAB10.len()]),
                dashed: false,
                width_pt: 1.5,
            })
            .collect(),
        ylog,
        ..Figure::default()
    }
}
