//! People write the register's closed-list values as they know them; the package holds the
//! EBA's codes. A value is taken as the EBA code itself (`eba_GA:DE`), the code's part after
//! the prefix (`DE`, `EUR`, `S03`, `x12`), its label in any case ("Credit institutions",
//! "high"), the abbreviation the label gives in brackets (`LEI`, `EUID`) or the label's first
//! words (`standalone`), trying each in that order, provided exactly one code of the column's
//! list matches; anything else is an error
//! that names the list to look in.

use crate::catalogue::Catalogue;

/// The EBA code of `value` in closed list `list`.
pub fn resolve(cat: &Catalogue, list: &str, value: &str) -> Result<String, String> {
    let v = value.trim();
    let codes = cat
        .closed_lists
        .get(list)
        .ok_or_else(|| format!("no closed list {list}"))?;
    if codes.iter().any(|(c, _)| c == v) {
        return Ok(v.to_string());
    }
    let by = |f: &dyn Fn(&str, &str) -> bool| -> Vec<&String> {
        codes
            .iter()
            .filter(|(c, l)| f(c, l))
            .map(|(c, _)| c)
            .collect()
    };
    for found in [
        by(&|c, _| {
            c.split_once(':')
                .is_some_and(|(_, s)| s.eq_ignore_ascii_case(v))
        }),
        by(&|_, l| l.eq_ignore_ascii_case(v)),
        by(&|_, l| {
            l.split(['(', '['])
                .next()
                .is_some_and(|head| head.trim().eq_ignore_ascii_case(v))
        }),
        // The abbreviation a label gives in brackets: "(LEI)", "(EUID)".
        by(&|_, l| {
            l.split_once('(')
                .and_then(|(_, rest)| rest.split_once(')'))
                .is_some_and(|(abbr, _)| abbr.eq_ignore_ascii_case(v))
        }),
        // The label's first words: "standalone" for "Standalone arrangement".
        by(&|_, l| {
            l.len() > v.len()
                && l.get(..v.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(v))
                && l.as_bytes().get(v.len()) == Some(&b' ')
        }),
    ] {
        match found.as_slice() {
            [one] => return Ok((*one).clone()),
            [] => continue,
            many => {
                return Err(format!(
                    "{v:?} could be any of {many:?} in {list}; write the code"
                ));
            }
        }
    }
    Err(format!(
        "{v:?} is not a value of {list} (see: plumb register codes {list})"
    ))
}
