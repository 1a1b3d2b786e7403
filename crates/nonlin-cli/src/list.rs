//! `nonlin list`.

use nonlin::{CATALOGUE, Info, ParamDefault};
use serde_json::{Value, json};

pub fn run(as_json: bool) -> Result<(), String> {
    if as_json {
        let all: Vec<Value> = CATALOGUE.iter().map(to_json).collect();
        println!("{}", serde_json::to_string_pretty(&all).expect("JSON of plain values"));
    } else {
        print!("{}", text());
    }
    Ok(())
}

fn default_text(d: ParamDefault) -> String {
    match d {
        ParamDefault::Number(v) => format!("{v:?}"),
        ParamDefault::Choice(c) => format!("'{c}'"),
        ParamDefault::Required => "(required)".into(),
    }
}

fn text() -> String {
    let mut out = String::new();
    for info in &CATALOGUE {
        let params: Vec<String> =
            info.params.iter().map(|p| format!("{}={}", p.name, default_text(p.default))).collect();
        let params = if params.is_empty() { String::new() } else { format!("  {}", params.join(", ")) };
        out += &format!("{} (torch.nn.{}){params}\n", info.name, info.class);
        out += &format!("    f(x)  = {}\n", info.formula);
        out += &format!("    f'(x) = {}\n", info.derivative);
    }
    out
}

fn to_json(info: &Info) -> Value {
    let params: Vec<Value> = info
        .params
        .iter()
        .map(|p| {
            let default = match p.default {
                ParamDefault::Number(v) => json!(v),
                ParamDefault::Choice(c) => json!(c),
                ParamDefault::Required => Value::Null,
            };
            json!({ "name": p.name, "default": default, "required": p.default == ParamDefault::Required })
        })
        .collect();
    json!({
        "name": info.name,
        "class": info.class,
        "torch": format!("torch.nn.{}", info.class),
        "functional": format!("torch.nn.functional.{}", info.name),
        "parameters": params,
        "formula": info.formula,
        "derivative": info.derivative,
    })
}
