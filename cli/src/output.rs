//! How `azmi arm` prints an outcome (`-o/--output`). One shape for every ARM command, the one
//! ARM itself answers with: a resource is its body, a list is `{"value": [...]}` (every page's
//! items), so `arm groups list` prints what `arm get /subscriptions/S/resourcegroups` prints;
//! an existence check is `{"exists": bool}`. `table` and `tsv` print the same rows (the list's
//! items, or the one object) with their top-level text, number and boolean fields as columns
//! (`name` first, then by name).

use azmi_core::ArmOutcome;
use clap::ValueEnum;
use serde_json::{json, Map, Value};

/// The `-o/--output` of `azmi arm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ArmOutput {
    /// JSON, indented: a resource's body, a list as {"value": [...]}.
    Json,
    /// Columns with a header: the top-level scalar fields of each item (or of the one object).
    Table,
    /// Tab-separated values of the same columns, no header: for `while read` and `cut`.
    Tsv,
    /// Nothing; the exit status alone says whether it worked.
    None,
}

/// The one JSON shape of an outcome (see the module docs).
pub(crate) fn shape(outcome: ArmOutcome) -> Value {
    match outcome {
        ArmOutcome::Items { items, .. } => json!({ "value": items }),
        ArmOutcome::Exists { exists, .. } => json!({ "exists": exists }),
        other => other.into_value(),
    }
}

/// `value` (from `shape`) as `output` asks; `None` when nothing is printed.
pub(crate) fn render(value: &Value, output: ArmOutput) -> Option<String> {
    match output {
        ArmOutput::None => None,
        ArmOutput::Json => Some(format!("{value:#}")),
        ArmOutput::Table | ArmOutput::Tsv => {
            let rows = rows(value);
            let columns = columns(&rows);
            let cells: Vec<Vec<String>> =
                rows.iter().map(|row| columns.iter().map(|c| cell(row.get(c))).collect()).collect();
            Some(if output == ArmOutput::Tsv { tsv(&cells) } else { table(&columns, &cells) })
        }
    }
}

/// The rows: a list's items (ARM's `{"value": [...]}`, from a list command or a plain `get` of a
/// list), or the one object; a scalar is one row with a `value` column.
fn rows(value: &Value) -> Vec<Map<String, Value>> {
    let as_row = |v: &Value| match v {
        Value::Object(fields) => fields.clone(),
        other => Map::from_iter([("value".to_owned(), other.clone())]),
    };
    match value.get("value") {
        Some(Value::Array(items)) => items.iter().map(as_row).collect(),
        _ if value.is_null() => Vec::new(),
        _ => vec![as_row(value)],
    }
}

/// Every top-level scalar field: `name` first (what a reader looks for), then by name.
fn columns(rows: &[Map<String, Value>]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        for (name, v) in row {
            let scalar = matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
            if scalar && !columns.contains(name) {
                columns.push(name.clone());
            }
        }
    }
    columns.sort_by_key(|c| (c != "name", c.clone()));
    columns
}

fn cell(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.replace(['\t', '\n'], " "),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
        _ => String::new(),
    }
}

fn tsv(cells: &[Vec<String>]) -> String {
    cells.iter().map(|row| row.join("\t") + "\n").collect()
}

fn table(columns: &[String], cells: &[Vec<String>]) -> String {
    let width = |i: usize| {
        let widest = cells.iter().map(|row| row[i].chars().count()).max().unwrap_or(0);
        widest.max(columns[i].chars().count())
    };
    let widths: Vec<usize> = (0..columns.len()).map(width).collect();
    let line = |row: &[String]| {
        let padded: Vec<String> =
            row.iter().zip(&widths).map(|(text, w)| format!("{text:<w$}")).collect();
        padded.join("  ").trim_end().to_owned() + "\n"
    };
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let mut out = line(columns);
    out.push_str(&line(&rule));
    for row in cells {
        out.push_str(&line(row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_objects_share_one_shape_and_one_set_of_columns() {
        let list = json!({"value": [
            {"name": "a", "location": "westeurope", "properties": {"provisioningState": "x"}},
            {"name": "b", "tags": {}, "location": "eastus", "n": 2},
        ]});
        assert_eq!(render(&list, ArmOutput::Tsv).unwrap(), "a\twesteurope\t\nb\teastus\t2\n");
        let table = render(&list, ArmOutput::Table).unwrap();
        assert_eq!(
            table,
            "name  location    n\n----  ----------  -\na     westeurope\nb     eastus      2\n"
        );
        let one = json!({"name": "a", "location": "westeurope"});
        assert_eq!(render(&one, ArmOutput::Tsv).unwrap(), "a\twesteurope\n");
        assert_eq!(render(&json!({"exists": true}), ArmOutput::Tsv).unwrap(), "true\n");
        assert_eq!(render(&Value::Null, ArmOutput::Tsv).unwrap(), "");
        assert_eq!(render(&one, ArmOutput::None), None);
    }
}
