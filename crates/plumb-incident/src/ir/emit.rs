//! Writes a report's fields (by Annex I code) as the ESAs' IR JSON document: each field at its
//! place in [`super::layout::PLACES`], per-criterion fields inside the classification-type item
//! of their criterion, lists as arrays, date-times in UTC with `Z`, and nothing empty (IR 1.3
//! refuses empty strings and arrays; 1.2 accepts their absence).

use serde_json::{Map, Value};

use super::layout::{Kind, PLACES, criterion_of};
use super::rules::Violation;

/// Whether a value counts as given: not null, not blank, not an empty list.
pub(crate) fn given(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// Whether `s` has the shape of an LEI (ISO 17442: 18 letters or digits, 2 check digits).
pub(crate) fn lei_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter()
            .take(18)
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && b.iter().skip(18).all(u8::is_ascii_digit)
}

/// A value in the shape its place takes: a single value wrapped for a list, a date-time
/// turned to UTC. Anything else is left as given, for the rules to judge.
fn shaped(kind: Kind, v: &Value) -> Value {
    match (kind, v) {
        (Kind::EnumList(_), Value::String(_)) => Value::Array(vec![v.clone()]),
        (Kind::DateTime, Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| {
                Value::String(
                    t.with_timezone(&chrono::Utc)
                        .format("%Y-%m-%dT%H:%M:%SZ")
                        .to_string(),
                )
            })
            .unwrap_or_else(|_| v.clone()),
        _ => v.clone(),
    }
}

/// Puts `v` at the dotted `path` under `root`, creating objects on the way.
fn put(root: &mut Map<String, Value>, path: &str, v: Value) {
    let mut parts = path.split('.').peekable();
    let mut at = root;
    while let Some(k) = parts.next() {
        if parts.peek().is_none() {
            at.insert(k.to_string(), v);
            return;
        }
        let next = at
            .entry(k.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        let Value::Object(m) = next else { return };
        at = m;
    }
}

/// The field code a value of the report goes under: 1.3 and 1.14 are split by shape into the
/// LEI member or the code member.
fn member_code(code: &str, v: &Value) -> &'static str {
    let lei = v.as_str().is_some_and(lei_shaped);
    match (code, lei) {
        ("1.3", true) => "1.3a",
        ("1.3", false) => "1.3b",
        ("1.14", false) => "-parent-code",
        _ => "",
    }
}

/// The IR document for `fields` (values by field code, as the report holds them), and the
/// fields that have no place in it (a per-criterion field whose criterion is not in 2.5).
pub fn document(fields: &Map<String, Value>) -> (Value, Vec<Violation>) {
    let mut root = Map::new();
    let mut unplaced = Vec::new();
    let criteria: Vec<String> = match fields.get("2.5") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str())
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    };
    let mut items: Vec<Map<String, Value>> = criteria
        .iter()
        .map(|c| {
            let mut m = Map::new();
            m.insert("classificationCriterion".into(), Value::String(c.clone()));
            m
        })
        .collect();
    let mut affected = Map::new();
    for (code, v) in fields {
        if !given(v) || code == "2.5" {
            continue;
        }
        let place = match member_code(code, v) {
            "" => PLACES.iter().find(|p| p.code == code),
            "-parent-code" => PLACES
                .iter()
                .find(|p| p.path == "ultimateParentUndertaking.code"),
            c => PLACES.iter().find(|p| p.code == c),
        };
        let Some(place) = place else { continue };
        let value = shaped(place.kind, v);
        if let Some(crit) = criterion_of(code) {
            let key = place.path.rsplit('.').next().unwrap_or(place.path);
            match criteria.iter().position(|c| c == crit) {
                Some(i) => {
                    if let Some(item) = items.get_mut(i) {
                        item.insert(key.to_string(), value);
                    }
                }
                None => unplaced.push(Violation::new(
                    code,
                    place.path,
                    format!(
                        "is given but {crit} is not among the criteria met (2.5): it belongs in that criterion's item and has no place without it"
                    ),
                )),
            }
        } else if let Some(rest) = place.path.strip_prefix("affectedEntity[].") {
            put(&mut affected, rest, value);
        } else {
            put(&mut root, place.path, value);
        }
    }
    for (obj, kind) in [
        ("submittingEntity", "SUBMITTING_ENTITY"),
        (
            "ultimateParentUndertaking",
            "ULTIMATE_PARENT_UNDERTAKING_ENTITY",
        ),
    ] {
        if let Some(Value::Object(m)) = root.get_mut(obj) {
            m.insert("entityType".into(), Value::String(kind.into()));
        }
    }
    if !affected.is_empty() {
        affected.insert("entityType".into(), Value::String("AFFECTED_ENTITY".into()));
        root.insert(
            "affectedEntity".into(),
            Value::Array(vec![Value::Object(affected)]),
        );
    }
    if !items.is_empty() {
        put(
            &mut root,
            "incident.classificationTypes",
            Value::Array(items.into_iter().map(Value::Object).collect()),
        );
    }
    (Value::Object(root), unplaced)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> (Value, Vec<Violation>) {
        document(v.as_object().expect("object"))
    }

    #[test]
    fn per_criterion_fields_go_inside_their_criterions_item() {
        let (d, unplaced) = doc(json!({
            "2.5": ["geographical_spread", "economic_impact"],
            "2.6": ["DE", "GR"],
            "4.12": "EUR 150000 costs and losses",
            "2.4": "Payments down",
        }));
        assert!(unplaced.is_empty());
        let items = d["incident"]["classificationTypes"]
            .as_array()
            .expect("items");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["classificationCriterion"], "geographical_spread");
        assert_eq!(
            items[0]["countryCodeMaterialityThresholds"],
            json!(["DE", "GR"])
        );
        assert!(items[0].get("economicImpactMaterialityThreshold").is_none());
        assert_eq!(
            items[1]["economicImpactMaterialityThreshold"],
            "EUR 150000 costs and losses"
        );
        assert_eq!(d["incident"]["incidentDescription"], "Payments down");
    }

    #[test]
    fn a_per_criterion_field_without_its_criterion_is_reported_not_dropped_silently() {
        let (_, unplaced) = doc(json!({"2.5": ["data_losses"], "3.13": ["x"]}));
        assert_eq!(unplaced.len(), 1);
        assert_eq!(unplaced[0].field, "3.13");
    }

    #[test]
    fn identifiers_go_to_the_lei_or_the_code_member_by_shape() {
        let (d, _) = doc(json!({"1.3": "529900T8BM49AURSDO55", "1.14": "GROUP-1"}));
        assert_eq!(d["submittingEntity"]["LEI"], "529900T8BM49AURSDO55");
        assert!(d["submittingEntity"].get("code").is_none());
        assert_eq!(d["submittingEntity"]["entityType"], "SUBMITTING_ENTITY");
        assert_eq!(d["ultimateParentUndertaking"]["code"], "GROUP-1");
        let (d, _) = doc(json!({"1.3": "NCA-12345"}));
        assert_eq!(d["submittingEntity"]["code"], "NCA-12345");
    }

    #[test]
    fn times_become_utc_lists_become_arrays_and_empties_are_left_out() {
        let (d, _) = doc(json!({
            "2.2": "2026-03-02T10:15:00+01:00",
            "1.4": "credit_institution",
            "1.5": "Bank",
            "2.10": "  ",
            "3.31": [],
        }));
        assert_eq!(d["incident"]["detectionDateTime"], "2026-03-02T09:15:00Z");
        assert_eq!(
            d["affectedEntity"][0]["affectedEntityType"],
            json!(["credit_institution"])
        );
        assert_eq!(d["affectedEntity"][0]["entityType"], "AFFECTED_ENTITY");
        assert!(d["incident"].get("otherInformation").is_none());
        assert!(d.get("reportingToOtherAuthorities").is_none());
    }
}
