//! The one guard for Leptos' raw-text sinks. Server-side rendering writes the children of
//! `<title>` and `<textarea>` without escaping them (leptos PR 4730 escaped textarea children,
//! 4819 reverted it for breaking hydration), so a customer named `</title><meta …>` or a note
//! holding `</textarea><form …>` would close the element and inject markup. Every user string
//! bound for such a sink goes through [`raw_text`]: on the server it is entity-escaped (the
//! browser decodes entities in title and textarea text, so the user sees exactly what they
//! typed); in the browser it is left as it is, because there it is set as a DOM text value,
//! never parsed as HTML.

/// Escapes the five characters that can open or close markup or an attribute.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` made safe for a raw-text sink (`<title>`, `<textarea>`) in the HTML being rendered.
pub fn raw_text(text: String) -> String {
    #[cfg(feature = "ssr")]
    {
        escape_html(&text)
    }
    #[cfg(not(feature = "ssr"))]
    {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_a_raw_text_sink_is_only_text() {
        assert_eq!(
            escape_html(r#"</title><meta http-equiv="refresh" content='0'>&amp;"#),
            "&lt;/title&gt;&lt;meta http-equiv=&quot;refresh&quot; content=&#39;0&#39;&gt;&amp;amp;"
        );
    }
}
