//! Escaping text for XML and HTML: the one function every writer of markup uses (the exchange
//! format, SVG views, JUnit reports, scaffold templates), escaping all five special characters.

/// `s` with `&`, `<`, `>`, `"` and `'` replaced by their entities: safe in XML and HTML text
/// and in attribute values quoted with either quote.
pub fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// `s` safe in one cell of a Markdown table and in a line of a pull-request comment: `\\` and
/// `|` escaped, line breaks folded into spaces, `<` written as `&lt;` so no HTML gets through.
pub fn markdown_cell(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '|' => o.push_str("\\|"),
            '\n' | '\r' => o.push(' '),
            '<' => o.push_str("&lt;"),
            c => o.push(c),
        }
    }
    o
}

/// `s` as one URL query or path component: every byte but the unreserved characters of
/// RFC 3986 (letters, digits, `-`, `_`, `.`, `~`) percent-encoded.
pub fn url_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_special_character_is_escaped_and_nothing_else() {
        assert_eq!(
            super::xml(r#"<a href="x" title='y'>&amp;</a> é"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt; é"
        );
        assert_eq!(super::xml(""), "");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table_or_carry_html() {
        assert_eq!(
            super::markdown_cell("a|b\\c\r\n<script>"),
            "a\\|b\\\\c  &lt;script>"
        );
    }

    #[test]
    fn url_components_keep_only_unreserved_characters() {
        assert_eq!(super::url_component("node-k8s_1.x~"), "node-k8s_1.x~");
        assert_eq!(super::url_component("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
