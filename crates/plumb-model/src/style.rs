//! The colours and font an architect gave a box or a line on a view: fill, line and text
//! colour, typeface. Archi keeps them as attributes (`fillColor="#0080c0"`, `lineColor`,
//! `fontColor`, `font="1|Arial|8.0|1|..."`, SWT's font description), the exchange format as a
//! `<style>` element (`<fillColor r= g= b=/>`, `<lineColor/>`, `<font name= size= style=>`
//! with its `<color/>`). Read from either, written to either and used when a view is drawn, so
//! a view keeps them through native -> exchange -> native and in the UI. Gradients and text
//! alignment are not kept.

use plumb_base::escape::xml as esc;
use plumb_base::xml::XmlStart;

/// A colour.
pub type Rgb = (u8, u8, u8);

/// A box's or a line's colours and font; `None` where the view leaves the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Style {
    /// Fill of a box.
    pub fill: Option<Rgb>,
    /// Border of a box, or the line itself.
    pub line: Option<Rgb>,
    /// Text colour.
    pub font: Option<Rgb>,
    /// Text typeface.
    pub typeface: Option<Typeface>,
}

/// A font: its family name, size and weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typeface {
    /// Family name (`Segoe UI`): at most [`MAX_FONT_NAME`] characters, none of them a control
    /// character, `|` (SWT's separator), `"`, `<`, `>` or `&`.
    pub name: String,
    /// Size in tenths of a point (90: 9 pt), 10 to 2,000.
    pub tenths: u16,
    /// Bold.
    pub bold: bool,
    /// Italic.
    pub italic: bool,
}

/// The longest font name kept.
pub const MAX_FONT_NAME: usize = 64;

impl Typeface {
    /// A typeface from a family name, a size in points and its weight; `None` when the name or
    /// the size is not one a view could carry (anything else is dropped, never an error).
    pub fn new(name: &str, points: f64, bold: bool, italic: bool) -> Option<Typeface> {
        let name = name.trim();
        let fits = !name.is_empty()
            && name.chars().count() <= MAX_FONT_NAME
            && !name.chars().any(|c| {
                c.is_control() || matches!(c, '|' | '"' | '<' | '>' | '&' | '\u{FFFE}' | '\u{FFFF}')
            });
        let tenths = (points * 10.0).round();
        if !fits || !(10.0..=2_000.0).contains(&tenths) {
            return None;
        }
        Some(Typeface {
            name: name.to_string(),
            tenths: tenths as u16,
            bold,
            italic,
        })
    }

    /// From SWT's font description as Archi writes it: `1|name|height|style|...` (style bit 1
    /// bold, bit 2 italic; the rest is platform detail).
    pub fn from_swt(text: &str) -> Option<Typeface> {
        let mut parts = text.split('|');
        if parts.next()? != "1" {
            return None;
        }
        let name = parts.next()?;
        let height: f64 = parts.next()?.trim().parse().ok()?;
        let style: u32 = parts.next().unwrap_or("0").trim().parse().ok()?;
        Typeface::new(name, height, style & 1 != 0, style & 2 != 0)
    }

    /// SWT's font description (no platform detail, which SWT does without).
    pub fn to_swt(&self) -> String {
        let style = u32::from(self.bold) | (u32::from(self.italic) << 1);
        format!("1|{}|{}|{style}|", self.name, self.points())
    }

    /// The size in points, as text (`9`, `10.5`).
    pub fn points(&self) -> String {
        if self.tenths.is_multiple_of(10) {
            format!("{}", self.tenths / 10)
        } else {
            format!("{}.{}", self.tenths / 10, self.tenths % 10)
        }
    }

    /// The exchange format's `style` attribute value, or "" for plain.
    fn exchange_style(&self) -> &'static str {
        match (self.bold, self.italic) {
            (true, true) => "bold italic",
            (true, false) => "bold",
            (false, true) => "italic",
            (false, false) => "",
        }
    }

    /// From the exchange format's `<font name= size= style=>`.
    pub fn from_exchange(e: &XmlStart) -> Option<Typeface> {
        let size: f64 = e.attr("size")?.trim().parse().ok()?;
        let style = e.attr("style").unwrap_or_default();
        let has = |w: &str| style.split_whitespace().any(|s| s == w);
        Typeface::new(e.attr("name")?, size, has("bold"), has("italic"))
    }

    /// SVG text attributes for it (each with a leading space), the size in pixels at 96 dpi
    /// kept between 8 and 24 so a view's layout holds.
    pub fn svg_attrs(&self) -> String {
        let px = (f64::from(self.tenths) / 10.0 * 96.0 / 72.0).clamp(8.0, 24.0);
        let mut s = format!(
            " font-family=\"{}, sans-serif\" font-size=\"{px:.0}\"",
            esc(&self.name)
        );
        if self.bold {
            s.push_str(" font-weight=\"bold\"");
        }
        if self.italic {
            s.push_str(" font-style=\"italic\"");
        }
        s
    }
}

impl Style {
    /// Whether any colour or font is set.
    pub fn is_empty(&self) -> bool {
        self.fill.is_none() && self.line.is_none() && self.font.is_none() && self.typeface.is_none()
    }

    /// From Archi's attributes (`fillColor`, `lineColor`, `fontColor`, each `#rrggbb`, and
    /// `font`).
    pub fn from_archi(e: &XmlStart) -> Style {
        Style {
            fill: e.attr("fillColor").and_then(parse_hex),
            line: e.attr("lineColor").and_then(parse_hex),
            font: e.attr("fontColor").and_then(parse_hex),
            typeface: e.attr("font").and_then(Typeface::from_swt),
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
        // Escaped although a typeface's name holds no markup: its checks are its constructor's,
        // and escaping here does not depend on them.
        if let Some(t) = &self.typeface {
            s.push_str(&format!(" font=\"{}\"", esc(&t.to_swt())));
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
        if self.font.is_some() || self.typeface.is_some() {
            let attrs = self
                .typeface
                .as_ref()
                .map(|t| {
                    let style = match t.exchange_style() {
                        "" => String::new(),
                        s => format!(" style=\"{s}\""),
                    };
                    format!(" name=\"{}\" size=\"{}\"{style}", esc(&t.name), t.points())
                })
                .unwrap_or_default();
            match self.font {
                Some(c) => s.push_str(&format!(
                    "{pad}  <font{attrs}>\n{pad}    <color {}/>\n{pad}  </font>\n",
                    rgb(c)
                )),
                None => s.push_str(&format!("{pad}  <font{attrs}/>\n")),
            }
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
            typeface: None,
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

    #[test]
    fn fonts_are_read_and_written_in_both_forms() {
        // As Archi writes them (the corpus's Archisurance).
        let t =
            Typeface::from_swt("1|Arial|8.0|0|WINDOWS|1|0|0|0|0|0|0|0|0|1|0|0|0|0|Arial").unwrap();
        assert_eq!(
            (t.name.as_str(), t.tenths, t.bold, t.italic),
            ("Arial", 80, false, false)
        );
        let t = Typeface::from_swt("1|Times New Roman|10.5|3|").unwrap();
        assert_eq!((t.tenths, t.bold, t.italic), (105, true, true));
        assert_eq!(t.to_swt(), "1|Times New Roman|10.5|3|");
        assert_eq!(Typeface::from_swt(&t.to_swt()), Some(t.clone()));
        // Hostile or foreign descriptions are dropped, never an error or a panic.
        for bad in [
            "",
            "2|Arial|9|0",
            "1||9|0",
            "1|A\"B|9|0",
            "1|A<B|9|0",
            "1|Arial|NaN|0",
            "1|Arial|inf|0",
            "1|Arial|99999|0",
            "1|Arial|0.5|0",
            "1|Arial|9.0|x",
            "1|Arial",
            "1|\u{7}bell|9|0",
            "1|A\u{FFFE}|9|0",
        ] {
            assert_eq!(Typeface::from_swt(bad), None, "{bad:?}");
        }
        assert_eq!(
            Typeface::new(&"x".repeat(MAX_FONT_NAME + 1), 9.0, false, false),
            None
        );
        let s = Style {
            typeface: Some(t),
            ..Default::default()
        };
        assert_eq!(s.archi_attrs(), " font=\"1|Times New Roman|10.5|3|\"");
        let x = s.exchange_xml("");
        assert!(
            x.contains("<font name=\"Times New Roman\" size=\"10.5\" style=\"bold italic\"/>"),
            "{x}"
        );
        let svg = s
            .typeface
            .as_ref()
            .map(Typeface::svg_attrs)
            .unwrap_or_default();
        assert_eq!(
            svg,
            " font-family=\"Times New Roman, sans-serif\" font-size=\"14\" font-weight=\"bold\" font-style=\"italic\""
        );
    }
}
