//! The colours an architect gave a box or a line on a view: fill, line and text colour. Archi
//! keeps them as attributes (`fillColor="#0080c0"`, `lineColor`, `fontColor`), the exchange
//! format as a `<style>` element (`<fillColor r= g= b=/>`, `<lineColor/>`, `<font><color/>`).
//! Read from either, written to either and used when a view is drawn, so a view keeps its
//! colours through native -> exchange -> native and in the UI. Fonts' names and sizes, gradients
//! and text alignment are not kept.

use plumb_base::xml::XmlStart;

/// A colour.
pub type Rgb = (u8, u8, u8);

/// A box's or a line's colours; `None` where the view leaves the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// Fill of a box.
    pub fill: Option<Rgb>,
    /// Border of a box, or the line itself.
    pub line: Option<Rgb>,
    /// Text.
    pub font: Option<Rgb>,
}

impl Style {
    /// Whether any colour is set.
    pub fn is_empty(&self) -> bool {
        self.fill.is_none() && self.line.is_none() && self.font.is_none()
    }

    /// From Archi's attributes (`fillColor`, `lineColor`, `fontColor`, each `#rrggbb`).
    pub fn from_archi(e: &XmlStart) -> Style {
        Style {
            fill: e.attr("fillColor").and_then(parse_hex),
            line: e.attr("lineColor").and_then(parse_hex),
            font: e.attr("fontColor").and_then(parse_hex),
        }
    }

    /// Archi's attributes for this style (each with a leading space), or "".
    pub fn archi_attrs(&self) -> String {
        let mut s = String::new();
        for (k, c) in [
            ("fillColor", self.fill),
            ("lineColor", self.line),
            ("fontColor", self.font),
        ] {
            if let Some(c) = c {
                s.push_str(&format!(" {k}=\"{}\"", hex(c)));
            }
        }
        s
    }

    /// The exchange format's `<style>` element for this style, or "" when it is empty.
    pub fn exchange_xml(&self, pad: &str) -> String {
        if self.is_empty() {
            return String::new();
        }
        let rgb = |(r, g, b): Rgb| format!("r=\"{r}\" g=\"{g}\" b=\"{b}\"");
        let mut s = format!("{pad}<style>\n");
        if let Some(c) = self.fill {
            s.push_str(&format!("{pad}  <fillColor {} a=\"100\"/>\n", rgb(c)));
        }
        if let Some(c) = self.line {
            s.push_str(&format!("{pad}  <lineColor {}/>\n", rgb(c)));
        }
        if let Some(c) = self.font {
            s.push_str(&format!(
                "{pad}  <font>\n{pad}    <color {}/>\n{pad}  </font>\n",
                rgb(c)
            ));
        }
        s.push_str(&format!("{pad}</style>\n"));
        s
    }
}

/// `#rrggbb` (or `#rgb`) as a colour; anything else is no colour.
pub fn parse_hex(s: &str) -> Option<Rgb> {
    let h = s.trim().strip_prefix('#')?;
    let byte = |i: usize, len: usize| {
        h.get(i..i + len)
            .and_then(|d| u8::from_str_radix(d, 16).ok())
            .map(|v| if len == 1 { v * 17 } else { v })
    };
    match h.len() {
        6 => Some((byte(0, 2)?, byte(2, 2)?, byte(4, 2)?)),
        3 => Some((byte(0, 1)?, byte(1, 1)?, byte(2, 1)?)),
        _ => None,
    }
}

/// A colour as `#rrggbb`.
pub fn hex((r, g, b): Rgb) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// A colour from the exchange format's `r`, `g`, `b` attributes (0-255), if all are there.
pub fn from_rgb_attrs(e: &XmlStart) -> Option<Rgb> {
    let c = |k: &str| e.attr(k).and_then(|v| v.trim().parse::<u8>().ok());
    Some((c("r")?, c("g")?, c("b")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_read_and_written_in_both_forms() {
        assert_eq!(parse_hex("#0080c0"), Some((0, 128, 192)));
        assert_eq!(parse_hex("#fff"), Some((255, 255, 255)));
        for bad in ["0080c0", "#0080c", "#zz0000", "#ééé", "", "#"] {
            assert_eq!(parse_hex(bad), None, "{bad}");
        }
        assert_eq!(hex((0, 128, 192)), "#0080c0");
        let s = Style {
            fill: Some((0, 128, 192)),
            line: None,
            font: Some((1, 2, 3)),
        };
        assert_eq!(
            s.archi_attrs(),
            " fillColor=\"#0080c0\" fontColor=\"#010203\""
        );
        let x = s.exchange_xml("");
        assert!(
            x.contains("<fillColor r=\"0\" g=\"128\" b=\"192\" a=\"100\"/>"),
            "{x}"
        );
        assert!(x.contains("<color r=\"1\" g=\"2\" b=\"3\"/>") && !x.contains("lineColor"));
        assert_eq!(Style::default().exchange_xml("  "), "");
    }
}
