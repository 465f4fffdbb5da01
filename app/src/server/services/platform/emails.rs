//! Every email Rapport sends: one function per email, each returning a typed `Email` with a
//! text and an HTML body on one short layout (greeting, paragraphs, the one thing to do as a
//! link). User data (names, titles) reaches the HTML only escaped, and never reaches a header
//! with a line break in it: `Email::new` and `Email::with_header` refuse CR and LF, so nothing
//! can be injected into the message's headers.

use crate::components::raw_text::escape_html;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

/// Headers the mailer writes itself, which an email may not set again.
const RESERVED: [&str; 9] = [
    "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version", "content-type",
];

/// One email, ready for the outbox. Built only through `new` and `with_header`, which check
/// every header value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    to: String,
    subject: String,
    text: String,
    html: String,
    headers: Vec<Header>,
}

/// An extra header (`List-Unsubscribe`, say).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// Why a value may not be a header.
fn refused(what: &str, value: &str) -> AppError {
    tracing::error!(header = what, value = %value.escape_debug(), "refused an email header");
    AppError::Internal
}

/// A header value: one line of printable text.
fn header_value(what: &str, value: &str) -> AppResult<String> {
    if value.chars().any(|c| c == '\r' || c == '\n' || c.is_control()) {
        return Err(refused(what, value));
    }
    Ok(value.to_string())
}

impl Email {
    /// An email to `to` with `subject` and its two bodies. `Err` when the address or the
    /// subject holds a line break or another control character.
    pub fn new(to: &str, subject: &str, text: String, html: String) -> AppResult<Email> {
        Ok(Email {
            to: header_value("To", to)?,
            subject: header_value("Subject", subject)?,
            text,
            html,
            headers: Vec::new(),
        })
    }

    /// Adds a header. `Err` when its name is not a plain header name, is one the mailer
    /// writes itself, or its value holds a line break or another control character.
    pub fn with_header(mut self, name: &str, value: &str) -> AppResult<Email> {
        let plain = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !plain || RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(refused("name", name));
        }
        let value = header_value(name, value)?;
        self.headers.push(Header { name: name.to_string(), value });
        Ok(self)
    }

    /// An email as the outbox stored it; checked again, as if new.
    pub fn stored(to: &str, subject: &str, text: String, html: String, headers: &str) -> AppResult<Email> {
        let headers: Vec<Header> = serde_json::from_str(headers).map_err(|_| refused("stored headers", headers))?;
        headers
            .into_iter()
            .try_fold(Email::new(to, subject, text, html)?, |email, h| email.with_header(&h.name, &h.value))
    }

    pub fn to(&self) -> &str {
        &self.to
    }
    pub fn subject(&self) -> &str {
        &self.subject
    }
    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn html(&self) -> &str {
        &self.html
    }
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }
    /// The extra headers as the outbox stores them.
    pub fn headers_json(&self) -> String {
        serde_json::to_string(&self.headers).unwrap_or_else(|_| "[]".into())
    }
}

/// The layout every email shares: a greeting, short paragraphs, and the one thing to do as a
/// labelled link. Returns the text and the HTML body; the HTML escapes everything it is given.
fn layout(greeting: &str, paragraphs: &[&str], action: (&str, &str)) -> (String, String) {
    let (label, link) = action;
    let text = format!("{greeting}\n\n{}\n\n{label}: {link}\n\n— Rapport\n", paragraphs.join("\n\n"));
    let html = format!(
        "<p>{}</p>{}<p><a href=\"{}\">{}</a></p><p>— Rapport</p>",
        escape_html(greeting),
        paragraphs.iter().map(|p| format!("<p>{}</p>", escape_html(p))).collect::<String>(),
        escape_html(link),
        escape_html(label)
    );
    (text, html)
}

/// The invitation: `inviter` invited `name`; the link sets a password and lasts `valid_days`.
pub fn invitation(to: &str, name: &str, inviter: &str, link: &str, valid_days: i64) -> AppResult<Email> {
    let (text, html) = layout(
        &format!("Hello {name},"),
        &[
            &format!("{inviter} has invited you to Rapport, your team's CRM."),
            &format!("Choose a password with the link below. It works once and expires in {valid_days} days."),
        ],
        ("Set your password", link),
    );
    Email::new(to, "You are invited to Rapport", text, html)
}

/// The password reset link, valid for an hour.
pub fn password_reset(to: &str, name: &str, link: &str) -> AppResult<Email> {
    let (text, html) = layout(
        &format!("Hello {name},"),
        &[
            "Someone (hopefully you) asked to reset your Rapport password.",
            "The link below works once and expires in one hour. If you did not ask, ignore this email: your password stays as it is.",
        ],
        ("Choose a new password", link),
    );
    Email::new(to, "Reset your Rapport password", text, html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_in_html_and_kept_as_typed_in_text() {
        let name = r#"<script>alert("x")</script> & Søren"#;
        let email = invitation("a@example.org", name, "Ada <b>O'Hara</b>", "https://crm.example/accept?token=a&b", 7).unwrap();
        assert!(email.text().contains(r#"Hello <script>alert("x")</script> & Søren,"#));
        assert!(!email.html().contains("<script>") && !email.html().contains("<b>"));
        assert!(email.html().contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Søren"));
        assert!(email.html().contains("Ada &lt;b&gt;O&#39;Hara&lt;/b&gt;"), "{}", email.html());
        assert!(email.html().contains(r#"href="https://crm.example/accept?token=a&amp;b""#));
        assert_eq!(email.subject(), "You are invited to Rapport");
    }

    #[test]
    fn line_breaks_never_reach_a_header() {
        let body = || (String::from("t"), String::from("<p>t</p>"));
        let (t, h) = body();
        assert!(Email::new("a@example.org", "Hi\r\nBcc: victim@example.org", t, h).is_err());
        let (t, h) = body();
        assert!(Email::new("a@example.org\nBcc: x@example.org", "Hi", t, h).is_err());
        let (t, h) = body();
        let email = Email::new("a@example.org", "Hi — “quoted” ünïcode", t, h).unwrap();
        assert!(email.clone().with_header("List-Unsubscribe", "<https://x.example/u?t=1>\r\nBcc: y@example.org").is_err());
        assert!(email.clone().with_header("X-Evil\r\nBcc", "y@example.org").is_err());
        assert!(email.clone().with_header("Subject", "again").is_err(), "a header the mailer writes is refused");
        let ok = email.with_header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click").unwrap();
        assert_eq!(ok.headers().len(), 1);
        // What the outbox stores comes back the same, and a tampered row is refused.
        let back = Email::stored(ok.to(), ok.subject(), ok.text().into(), ok.html().into(), &ok.headers_json()).unwrap();
        assert_eq!(back, ok);
        let tampered = r#"[{"name":"X-A","value":"1\r\nBcc: z@example.org"}]"#;
        assert!(Email::stored(ok.to(), ok.subject(), "t".into(), "h".into(), tampered).is_err());
    }
}
