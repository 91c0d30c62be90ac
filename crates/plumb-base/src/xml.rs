//! Safe XML reading for every parser of untrusted XML: no entity declarations (so no entity
//! expansion and no external entities), bounded nesting, the line of every error.

use crate::input::{InputError, Result, text};

/// Deepest XML element nesting accepted.
pub const MAX_XML_DEPTH: usize = 256;

/// An XML element as the readers see it: name, attributes, depth.
pub struct XmlStart {
    /// Local name.
    pub name: String,
    /// Attributes, unescaped.
    pub attrs: Vec<(String, String)>,
    /// 1-based line of the tag.
    pub line: u64,
}

impl XmlStart {
    /// An attribute value.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// An event from [`xml_events`].
pub enum XmlEvent {
    /// An opening tag (also emitted for empty elements, followed by an End).
    Start(XmlStart),
    /// Text or CDATA inside the current element.
    Text(String),
    /// A closing tag.
    End(String),
}

/// Reads a whole XML document safely: refuses entity declarations (so no entity expansion and
/// no external entities; a DOCTYPE naming an external DTD is read but never fetched), limits
/// nesting depth, and reports the line of any error.
pub fn xml_events(
    file: &str,
    bytes: &[u8],
    mut f: impl FnMut(XmlEvent) -> Result<()>,
) -> Result<()> {
    use quick_xml::events::Event;
    let t = text(file, bytes)?;
    let mut reader = quick_xml::Reader::from_str(t);
    reader.config_mut().check_end_names = true;
    // Positions only grow while reading, so count newlines incrementally: linear in the file,
    // not quadratic. An earlier position (an error's) is counted from the start.
    let counted = std::cell::Cell::new((0usize, 1u64));
    let line_of = |pos: usize| {
        let pos = pos.min(t.len());
        let (from, base) = match counted.get() {
            (p, l) if p <= pos => (p, l),
            _ => (0, 1),
        };
        let line = base
            + t.as_bytes()[from..pos]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
        counted.set((pos, line));
        line
    };
    let mut depth = 0usize;
    let mut seen_root = false;
    // Text arrives in pieces (character data, CDATA and each entity reference are events of
    // their own): gathered here and handed on as one text when the next tag comes.
    let mut pending = String::new();
    let flush = |pending: &mut String, f: &mut dyn FnMut(XmlEvent) -> Result<()>| {
        let t = std::mem::take(pending);
        if t.trim().is_empty() {
            Ok(())
        } else {
            f(XmlEvent::Text(t))
        }
    };
    loop {
        let pos = reader.buffer_position() as usize;
        let ev = reader.read_event().map_err(|e| {
            InputError::at(
                file,
                line_of(reader.error_position() as usize),
                format!("not well-formed XML: {e}"),
            )
        })?;
        let start = |e: &quick_xml::events::BytesStart<'_>| -> Result<XmlStart> {
            let name = e.local_name().as_ref().to_string();
            let mut attrs = Vec::new();
            for a in e.attributes() {
                let a = a.map_err(|e| {
                    InputError::at(file, line_of(pos), format!("bad XML attribute: {e}"))
                })?;
                let v = a
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map_err(|e| {
                        InputError::at(file, line_of(pos), format!("bad XML attribute value: {e}"))
                    })?;
                attrs.push((a.key.local_name().as_ref().to_string(), v.into_owned()));
            }
            Ok(XmlStart {
                name,
                attrs,
                line: line_of(pos),
            })
        };
        match ev {
            Event::DocType(d) if d.contains("<!ENTITY") || d.contains("<!entity") => {
                return Err(InputError::at(
                    file,
                    line_of(pos),
                    "XML entity declarations are refused (entity expansion and external entities are not allowed)",
                ));
            }
            Event::Start(e) => {
                flush(&mut pending, &mut f)?;
                depth += 1;
                if depth > MAX_XML_DEPTH {
                    return Err(InputError::at(
                        file,
                        line_of(pos),
                        format!("XML nesting deeper than {MAX_XML_DEPTH} levels"),
                    ));
                }
                seen_root = true;
                f(XmlEvent::Start(start(&e)?))?;
            }
            Event::Empty(e) => {
                flush(&mut pending, &mut f)?;
                seen_root = true;
                let s = start(&e)?;
                let name = s.name.clone();
                f(XmlEvent::Start(s))?;
                f(XmlEvent::End(name))?;
            }
            Event::End(e) => {
                flush(&mut pending, &mut f)?;
                depth = depth.saturating_sub(1);
                f(XmlEvent::End(e.local_name().as_ref().to_string()))?;
            }
            Event::Text(e) => pending.push_str(&e.xml10_content()),
            Event::CData(e) => pending.push_str(&e),
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten().map(String::from)
                } else {
                    quick_xml::escape::resolve_predefined_entity(&r).map(str::to_string)
                };
                match resolved {
                    Some(t) => pending.push_str(&t),
                    None => {
                        return Err(InputError::at(
                            file,
                            line_of(pos),
                            format!(
                                "the reference &{}; is not a character or predefined entity (entities are not expanded)",
                                &*r
                            ),
                        ));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err(InputError::new(
            file,
            "XML ends before all elements are closed (truncated file)",
        ));
    }
    if !seen_root {
        return Err(InputError::new(file, "no XML element found"));
    }
    Ok(())
}

/// The name of the root element, for format detection (reads only the prolog).
pub fn xml_root(bytes: &[u8]) -> Option<String> {
    use quick_xml::events::Event;
    let t = std::str::from_utf8(bytes.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(bytes)).ok()?;
    let mut reader = quick_xml::Reader::from_str(t);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => {
                return Some(e.local_name().as_ref().to_string());
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(xml: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        xml_events("t.xml", xml.as_bytes(), |e| {
            if let XmlEvent::Text(t) = e {
                out.push(t);
            }
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn references_join_their_text_and_only_predefined_ones_resolve() {
        let t = texts("<a>x &amp; y &#65;&#x42; <![CDATA[<z>]]></a>").unwrap();
        assert_eq!(t, ["x & y AB <z>"]);
        let t = texts("<a>one<b>two</b>three</a>").unwrap();
        assert_eq!(t, ["one", "two", "three"]);
        let e = texts("<a>&custom;</a>").unwrap_err().to_string();
        assert!(e.contains("&custom;"), "{e}");
        let e = texts("<a>&#0;</a>").unwrap_err().to_string();
        assert!(e.contains("&#0;"), "{e}");
        let mut attrs = Vec::new();
        xml_events("t.xml", br#"<a m="1 &lt; 2"/>"#, |e| {
            if let XmlEvent::Start(s) = e {
                attrs = s.attrs;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(attrs, [("m".to_string(), "1 < 2".to_string())]);
    }
}
