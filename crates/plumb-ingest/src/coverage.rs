//! Coverage: LCOV tracefiles (including lcov 2's three-field `FN:start,end,name` and the
//! optional checksum field of `DA`) and Cobertura XML. Line coverage is computed from the line
//! records themselves, merged over every input (a line is covered if any input hit it), never
//! from summary attributes.

use std::collections::{BTreeMap, HashMap};

use crate::error::{IngestError, Result};
use crate::facts::{Coverage, Facts};
use crate::util::{XmlEvent, text, xml_events};

/// Lines per file: line number -> hit count, merged across inputs.
#[derive(Debug, Default)]
pub struct LineMap(pub HashMap<String, BTreeMap<u64, u64>>);

impl LineMap {
    fn hit(&mut self, file: &str, line: u64, count: u64) {
        let e = self
            .0
            .entry(file.to_string())
            .or_default()
            .entry(line)
            .or_insert(0);
        *e = (*e).max(count);
    }

    /// The coverage summary.
    pub fn summary(&self) -> Coverage {
        let total: u64 = self.0.values().map(|l| l.len() as u64).sum();
        let covered: u64 = self
            .0
            .values()
            .map(|l| l.values().filter(|c| **c > 0).count() as u64)
            .sum();
        let percent = if total == 0 {
            0.0
        } else {
            (covered as f64 * 10000.0 / total as f64).round() / 100.0
        };
        Coverage {
            lines_total: total,
            lines_covered: covered,
            percent,
            files: self.0.len() as u64,
        }
    }
}

/// The most lines a Cobertura header's totals may claim when the report has no line records
/// (each is kept as a line of its own).
const MAX_HEADER_LINES: u64 = 1_000_000;

const LCOV_KEYS: [&str; 17] = [
    "TN", "SF", "VER", "FN", "FNDA", "FNF", "FNH", "FNL", "FNA", "BRDA", "BRF", "BRH", "DA", "LF",
    "LH", "MDA", "CHK",
];

/// Parses the `<line>,<count>` head of a DA value (an optional `,<checksum>` may follow).
fn parse_da(val: &str) -> Option<(u64, u64)> {
    let (line, rest) = val.split_once(',')?;
    let count = rest.split(',').next()?;
    let count: i64 = count.trim().parse().ok()?;
    Some((line.trim().parse().ok()?, count.max(0) as u64))
}

/// Reads an LCOV tracefile into `lines`.
pub fn read_lcov(file: &str, bytes: &[u8], lines: &mut LineMap) -> Result<()> {
    let t = text(file, bytes)?;
    let mut current: Option<String> = None;
    let mut pending: Vec<(u64, u64)> = Vec::new();
    let mut records = 0;
    for (i, raw) in t.lines().enumerate() {
        let n = i as u64 + 1;
        // DA lines are nearly all of a large tracefile: handle them first, cheaply.
        if let Some(val) = raw.strip_prefix("DA:") {
            if current.is_none() {
                return Err(IngestError::at(
                    file,
                    n,
                    "DA outside a record (no SF before it)",
                ));
            }
            let (line, count) = parse_da(val).ok_or_else(|| {
                IngestError::at(
                    file,
                    n,
                    format!("DA must be `DA:<line>,<count>[,<checksum>]`, got {val:?}"),
                )
            })?;
            pending.push((line, count));
            continue;
        }
        let l = raw.trim();
        if l.is_empty() {
            continue;
        }
        if l == "end_of_record" {
            let Some(sf) = current.take() else {
                return Err(IngestError::at(
                    file,
                    n,
                    "end_of_record without a preceding SF record",
                ));
            };
            let map = lines.0.entry(sf).or_default();
            if map.is_empty() {
                // First time this file is seen: build its map in one sorted bulk insert.
                pending.sort_unstable();
                pending.dedup_by(|b, a| {
                    let same = a.0 == b.0;
                    if same {
                        a.1 = a.1.max(b.1);
                    }
                    same
                });
                *map = pending.drain(..).collect();
            } else {
                for (line, count) in pending.drain(..) {
                    let e = map.entry(line).or_insert(0);
                    *e = (*e).max(count);
                }
            }
            records += 1;
            continue;
        }
        let (key, val) = l.split_once(':').ok_or_else(|| {
            IngestError::at(
                file,
                n,
                format!(
                    "not an LCOV line: {:?}",
                    l.chars().take(60).collect::<String>()
                ),
            )
        })?;
        if !LCOV_KEYS.contains(&key) {
            return Err(IngestError::at(
                file,
                n,
                format!("unknown LCOV record type {key:?}"),
            ));
        }
        match key {
            "SF" => {
                if current.is_some() {
                    return Err(IngestError::at(
                        file,
                        n,
                        "SF before the previous record's end_of_record",
                    ));
                }
                current = Some(val.to_string());
            }
            "DA" => {
                let _ = current.as_ref().ok_or_else(|| {
                    IngestError::at(file, n, "DA outside a record (no SF before it)")
                })?;
                let (line, count) = parse_da(val).ok_or_else(|| {
                    IngestError::at(
                        file,
                        n,
                        format!("DA must be `DA:<line>,<count>[,<checksum>]`, got {val:?}"),
                    )
                })?;
                pending.push((line, count));
            }
            "FN" => {
                // lcov 1.x: FN:<line>,<name>; lcov 2.x: FN:<start>,<end>,<name>. Validate the numbers.
                let parts: Vec<&str> = val.splitn(3, ',').collect();
                let numeric = |p: &str| p.trim().parse::<u64>().is_ok();
                let ok = match parts.len() {
                    2 => numeric(parts[0]),
                    3 => numeric(parts[0]) && (numeric(parts[1]) || !parts[2].is_empty()),
                    _ => false,
                };
                if !ok {
                    return Err(IngestError::at(
                        file,
                        n,
                        format!(
                            "FN must be `FN:<line>,<name>` or `FN:<start>,<end>,<name>`, got {val:?}"
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    if current.is_some() {
        return Err(IngestError::new(
            file,
            "truncated LCOV file: the last record has no end_of_record",
        ));
    }
    if records == 0 {
        return Err(IngestError::new(file, "not an LCOV tracefile: no records"));
    }
    Ok(())
}

/// Reads a Cobertura XML report into `lines`. Lines listed under `<methods>` repeat the class's
/// own lines and are not counted twice.
pub fn read_cobertura(file: &str, bytes: &[u8], lines: &mut LineMap) -> Result<()> {
    let mut root: Option<String> = None;
    let mut class_file: Option<String> = None;
    let mut in_methods = 0usize;
    let mut seen_line = false;
    let mut header: Option<(u64, u64)> = None;
    xml_events(file, bytes, |ev| {
        match ev {
            XmlEvent::Start(e) => {
                if root.is_none() {
                    if e.name != "coverage" {
                        return Err(IngestError::new(
                            file,
                            format!(
                                "not a Cobertura report: root element is {}, expected coverage",
                                e.name
                            ),
                        ));
                    }
                    root = Some(e.name.clone());
                    let num = |k: &str| e.attr(k).and_then(|v| v.parse::<u64>().ok());
                    header = num("lines-valid").zip(num("lines-covered"));
                }
                match e.name.as_str() {
                    "class" => {
                        class_file = Some(
                            e.attr("filename")
                                .or(e.attr("name"))
                                .unwrap_or("")
                                .to_string(),
                        )
                    }
                    "methods" => in_methods += 1,
                    "line" if in_methods == 0 => {
                        let f = class_file.clone().unwrap_or_default();
                        let number = e.attr("number").and_then(|v| v.parse::<u64>().ok());
                        let hits = e.attr("hits").and_then(|v| v.parse::<f64>().ok());
                        match (number, hits) {
                            (Some(n), Some(h)) => {
                                lines.hit(&f, n, h.max(0.0) as u64);
                                seen_line = true;
                            }
                            _ => {
                                return Err(IngestError::new(
                                    file,
                                    format!("<line> in {f} needs numeric `number` and `hits`"),
                                ));
                            }
                        }
                    }
                    _ => {}
                }
            }
            XmlEvent::End(name) => match name.as_str() {
                "class" => class_file = None,
                "methods" => in_methods = in_methods.saturating_sub(1),
                _ => {}
            },
            XmlEvent::Text(_) => {}
        }
        Ok(())
    })?;
    if !seen_line {
        // A report without line records carries only its header totals; use them rather than
        // silently reporting 0%.
        match header {
            // Each counted line is kept, so a header's claim is bounded: a few bytes must not
            // make the gate hold billions of lines.
            Some((valid, _)) if valid > MAX_HEADER_LINES => {
                return Err(IngestError::new(
                    file,
                    format!(
                        "the report has no line records and its header claims {valid} lines, more than {MAX_HEADER_LINES}: give a report with its <line> records"
                    ),
                ));
            }
            Some((valid, covered)) if valid > 0 => {
                let synthetic = lines
                    .0
                    .entry(format!("{file} (header totals)"))
                    .or_default();
                for l in 0..valid {
                    synthetic.insert(l + 1, u64::from(l < covered));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Sets `facts.coverage` from merged lines.
pub fn finish(lines: &LineMap, facts: &mut Facts) {
    facts.coverage = Some(lines.summary());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lcov_records_merge_per_file_with_the_highest_count() {
        let mut lines = LineMap::default();
        read_lcov(
            "a.info",
            b"SF:a.c\nDA:1,1\nDA:2,0\nDA:2,0\nend_of_record\nSF:b.c\nDA:1,0\nend_of_record\n",
            &mut lines,
        )
        .unwrap();
        read_lcov(
            "b.info",
            b"TN:x\nSF:a.c\nDA:2,5\nDA:3,0,abc\nend_of_record\n",
            &mut lines,
        )
        .unwrap();
        let s = lines.summary();
        assert_eq!((s.files, s.lines_total, s.lines_covered), (2, 4, 2));
        assert_eq!(s.percent, 50.0);
        assert_eq!(
            LineMap::default().summary().percent,
            0.0,
            "no lines is 0%, not a division by zero"
        );
    }

    #[test]
    fn a_header_without_line_records_is_counted_within_a_bound() {
        let mut lines = LineMap::default();
        read_cobertura(
            "c.xml",
            br#"<coverage lines-valid="4" lines-covered="3"/>"#,
            &mut lines,
        )
        .unwrap();
        let s = lines.summary();
        assert_eq!((s.lines_total, s.lines_covered), (4, 3));
        // Sixty bytes claiming every line there could be: refused, nothing held.
        let mut lines = LineMap::default();
        let e = read_cobertura(
            "c.xml",
            br#"<coverage lines-valid="18446744073709551615" lines-covered="0"/>"#,
            &mut lines,
        )
        .unwrap_err();
        assert!(e.to_string().contains("more than 1000000"), "{e}");
        assert_eq!(lines.summary().lines_total, 0);
    }
}
