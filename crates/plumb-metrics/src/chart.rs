//! Bar charts as inline SVG, for the report and the web UI: no script, nothing fetched, the
//! numbers written on the bars for readers and printers.

/// One bar: its label (shown as a tooltip and at the ends of the axis), its value, and the CSS
/// class that colours it.
pub struct Bar<'a> {
    /// What it stands for, e.g. `2026-W44`.
    pub label: &'a str,
    /// Its value (negative values are drawn as zero).
    pub value: f64,
    /// Its CSS class.
    pub class: &'a str,
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The bars as one SVG element with `aria-label` `title`.
pub fn bars(title: &str, bars: &[Bar<'_>]) -> String {
    let esc = plumb_base::escape::xml;
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let max = if max > 0.0 { max } else { 1.0 };
    let (w, bar) = (bars.len().max(1) * 24 + 40, 18usize);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} 180\" role=\"img\" aria-label=\"{}\" class=\"chart\">",
        esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let v = if b.value.is_finite() {
            b.value.max(0.0)
        } else {
            0.0
        };
        let bh = (v / max * 130.0).round() as usize;
        let (x, y) = (30 + i * 24, 150 - bh);
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"{bar}\" height=\"{bh}\" class=\"{}\"><title>{}: {}</title></rect><text x=\"{}\" y=\"{}\" class=\"n\">{}</text>",
            esc(b.class),
            esc(b.label),
            number(v),
            x + bar / 2,
            y.saturating_sub(3).max(10),
            number(v)
        ));
    }
    svg.push_str(&format!(
        "<line x1=\"28\" y1=\"150\" x2=\"{}\" y2=\"150\" class=\"axis\"/><text x=\"30\" y=\"170\" class=\"l\">{}</text><text x=\"{}\" y=\"170\" class=\"l\" text-anchor=\"end\">{}</text></svg>",
        w - 10,
        esc(bars.first().map_or("", |b| b.label)),
        w - 10,
        esc(bars.last().map_or("", |b| b.label)),
    ));
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bars(
            "deployments <per> week",
            &[
                Bar {
                    label: "W1",
                    value: 2.0,
                    class: "now",
                },
                Bar {
                    label: "<W2>",
                    value: 4.0,
                    class: "now",
                },
                Bar {
                    label: "W3",
                    value: f64::NAN,
                    class: "now",
                },
            ],
        );
        assert!(
            svg.contains("height=\"65\"") && svg.contains("height=\"130\""),
            "{svg}"
        );
        assert!(svg.contains("height=\"0\""), "NaN is drawn as nothing");
        assert!(svg.contains("&lt;W2&gt;") && svg.contains("deployments &lt;per&gt; week"));
        assert!(!svg.contains("<W2>"));
    }
}
