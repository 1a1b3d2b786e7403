//! `nonlin plot`.

use std::path::Path;

use nonlin::{Activation, CATALOGUE};
use nonlin_plot::{PlotOptions, Show, figure, label};

use crate::PlotArgs;
use crate::plot_util::write_atomic;

fn parse_pair(what: &str, text: &str) -> Result<(f64, f64), String> {
    let (a, b) = text.split_once(':').ok_or_else(|| format!("{what} must be written lo:hi, got '{text}'"))?;
    let num = |s: &str| s.trim().parse::<f64>().map_err(|_| format!("{what}: '{s}' is not a number"));
    Ok((num(a)?, num(b)?))
}

/// `name:param=v1,v2,…` → one labelled activation per value.
fn parse_sweep(text: &str) -> Result<Vec<(String, Activation)>, String> {
    let (name, rest) =
        text.split_once(':').ok_or_else(|| format!("--sweep must be name:param=v1,v2,…, got '{text}'"))?;
    let (param, values) =
        rest.split_once('=').ok_or_else(|| format!("--sweep must be name:param=v1,v2,…, got '{text}'"))?;
    let values: Vec<&str> = values.split(',').map(str::trim).filter(|v| !v.is_empty()).collect();
    if values.is_empty() {
        return Err(format!("--sweep '{text}' lists no values"));
    }
    values
        .iter()
        .map(|v| {
            let act: Activation = format!("{name}:{param}={v}").parse().map_err(|e: nonlin::Error| e.to_string())?;
            Ok((format!("{param}={v}"), act))
        })
        .collect()
}

fn options(args: &PlotArgs) -> Result<PlotOptions, String> {
    let mut o = PlotOptions::default();
    if let Some(r) = &args.range {
        o.range = parse_pair("--range", r)?;
    }
    if let Some(y) = &args.ylim {
        o.ylim = Some(parse_pair("--ylim", y)?);
    }
    o.show = match (args.derivative, args.only_derivative) {
        (_, true) => Show::Derivative,
        (true, false) => Show::Both,
        _ => Show::Function,
    };
    o.title = args.title.clone();
    if let Some(x) = &args.xlabel {
        o.xlabel = x.clone();
    }
    if let Some(y) = &args.ylabel {
        o.ylabel = y.clone();
    }
    o.samples = args.samples;
    o.width = args.width;
    o.height = args.height;
    o.grid = !args.no_grid;
    o.legend = !args.no_legend;
    Ok(o)
}

enum Format {
    Png,
    Svg,
}

fn format_of(path: &Path) -> Result<Format, String> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("png") => Ok(Format::Png),
        Some("svg") => Ok(Format::Svg),
        _ => Err(format!("unknown output format for {}: use a .png or .svg file name", path.display())),
    }
}

fn render(fig: &nonlin_plot::Figure, format: Format) -> Vec<u8> {
    match format {
        Format::Png => fig.to_png(),
        Format::Svg => fig.to_svg().into_bytes(),
    }
}

pub fn run(args: &PlotArgs) -> Result<(), String> {
    let opts = options(args)?;
    if args.gallery {
        return gallery(&args.out, &opts, args);
    }
    let format = format_of(&args.out)?;
    let mut curves = Vec::new();
    for spec in &args.specs {
        let act: Activation = spec.parse().map_err(|e: nonlin::Error| e.to_string())?;
        curves.push((label(&act), act));
    }
    let mut opts = opts;
    if let Some(s) = &args.sweep {
        let swept = parse_sweep(s)?;
        let class = swept[0].1.info().class;
        if opts.title.is_none() && curves.is_empty() {
            let param = s.split_once(':').and_then(|(_, r)| r.split_once('=')).map_or("", |(p, _)| p);
            opts.title = Some(format!("{class} for several {param}"));
        }
        curves.extend(swept.into_iter().map(|(l, a)| (format!("{class} {l}"), a)));
    }
    let fig = figure(&curves, &opts).map_err(|e| e.to_string())?;
    write_atomic(&args.out, &render(&fig, format))?;
    eprintln!("wrote {}", args.out.display());
    Ok(())
}

/// Default parameters for the gallery (Threshold has none in PyTorch).
fn gallery_spec(name: &str) -> String {
    if name == "threshold" { "threshold:threshold=0.5,value=-1".into() } else { name.into() }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn gallery(dir: &Path, opts: &PlotOptions, args: &PlotArgs) -> Result<(), String> {
    if !args.specs.is_empty() || args.sweep.is_some() {
        return Err("--gallery draws every activation; give no specs or --sweep with it".into());
    }
    if dir.extension().is_some_and(|e| e == "png" || e == "svg") {
        return Err(format!("--gallery --out takes a directory, not {}", dir.display()));
    }
    let opts = PlotOptions { show: if opts.show == Show::Function { Show::Both } else { opts.show }, ..opts.clone() };
    let mut cards = String::new();
    for info in &CATALOGUE {
        let act: Activation = gallery_spec(info.name).parse().map_err(|e: nonlin::Error| e.to_string())?;
        let fig = figure(&[(label(&act), act)], &opts).map_err(|e| e.to_string())?;
        let file = format!("{}.png", info.name);
        write_atomic(&dir.join(&file), &fig.to_png())?;
        let params: Vec<String> = act.params().iter().map(|(k, v)| format!("{k}={v}")).collect();
        cards += &format!(
            "<figure><img src=\"{file}\" alt=\"{class} and its derivative\" width=\"480\"><figcaption><b>{name}</b> — \
             <code>torch.nn.{class}({params})</code><br>f(x) = {formula}<br>f′(x) = {derivative}</figcaption></figure>\n",
            name = info.name,
            class = info.class,
            params = html_escape(&params.join(", ")),
            formula = html_escape(info.formula),
            derivative = html_escape(info.derivative),
        );
    }
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>nonlin: every torch.nn activation</title>\n\
         <style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}figure{{display:inline-block;\
         width:500px;vertical-align:top;margin:0 0 2em}}figcaption{{font-size:14px}}</style></head><body>\n\
         <h1>Every elementwise activation of torch.nn</h1>\n<p>Solid: the function; dashed: its derivative \
         (the value PyTorch's backward uses, jumps drawn as jumps). Made by <code>nonlin plot --gallery</code>.</p>\n\
         {cards}</body></html>\n"
    );
    write_atomic(&dir.join("index.html"), html.as_bytes())?;
    eprintln!("wrote {} figures and index.html to {}", CATALOGUE.len(), dir.display());
    Ok(())
}
