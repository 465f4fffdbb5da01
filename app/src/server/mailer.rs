//! Sending one email. Back ends are chosen by configuration: SMTP (lettre, async, pooled),
//! files in a folder, memory (tests), or none (no SMTP configured: mail stays in the outbox).
//! Every message reaches these only through the outbox dispatcher.

use lettre::message::MultiPart;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::{Arc, Mutex};

/// What the dispatcher hands to a back end: built by `platform::emails`.
pub use crate::server::services::platform::emails::Email;

/// Why a send failed: temporary failures are retried, permanent ones are not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendError {
    Temporary(String),
    Permanent(String),
}

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: String,
    },
    File {
        dir: std::path::PathBuf,
        from: String,
    },
    Memory(MemoryMailbox),
    /// No SMTP configured: nothing is delivered; admins read mail on the dev mailbox page.
    Disabled,
}

/// The memory back end: keeps sent mail, and can be told to fail the next sends or to take
/// a while over them (a slow SMTP server).
#[derive(Clone, Default)]
pub struct MemoryMailbox {
    pub sent: Arc<Mutex<Vec<Email>>>,
    pub fail_next: Arc<Mutex<Vec<SendError>>>,
    pub hold_next: Arc<Mutex<Vec<std::time::Duration>>>,
}

/// Takes the first of a queue of test instructions, if any.
fn first_of<T>(queue: &Mutex<Vec<T>>) -> Option<T> {
    queue.lock().ok().and_then(|mut q| (!q.is_empty()).then(|| q.remove(0)))
}

impl MemoryMailbox {
    pub fn sent(&self) -> Vec<Email> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Mailer {
    /// The back end the configuration asks for.
    pub fn from_config(config: &super::config::Config) -> Result<Mailer, String> {
        if let Some(url) = &config.smtp_url {
            let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| format!("RAPPORT_SMTP_URL is not a valid SMTP address: {e}"))?
                .build();
            return Ok(Mailer::Smtp {
                transport,
                from: config.mail_from.clone(),
            });
        }
        if let Some(dir) = &config.mail_dir {
            return Ok(Mailer::File {
                dir: dir.into(),
                from: config.mail_from.clone(),
            });
        }
        Ok(Mailer::Disabled)
    }

    pub fn is_delivering(&self) -> bool {
        !matches!(self, Mailer::Disabled)
    }

    fn build(from: &str, email: &Email) -> Result<Message, SendError> {
        let mut builder = Message::builder()
            .from(
                from.parse()
                    .map_err(|e| SendError::Permanent(format!("bad sender address: {e}")))?,
            )
            .to(email
                .to()
                .parse()
                .map_err(|e| SendError::Permanent(format!("bad recipient address: {e}")))?)
            .subject(email.subject());
        for header in email.headers() {
            let name = HeaderName::new_from_ascii(header.name.clone())
                .map_err(|e| SendError::Permanent(format!("bad header name: {e}")))?;
            builder = builder.raw_header(HeaderValue::new(name, header.value.clone()));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                email.text().to_string(),
                email.html().to_string(),
            ))
            .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))
    }

    pub async fn send(&self, email: &Email) -> Result<(), SendError> {
        match self {
            Mailer::Smtp { transport, from } => {
                let message = Self::build(from, email)?;
                transport.send(message).await.map(|_| ()).map_err(|e| {
                    if e.is_permanent() {
                        SendError::Permanent(e.to_string())
                    } else {
                        SendError::Temporary(e.to_string())
                    }
                })
            }
            Mailer::File { dir, from } => {
                let message = Self::build(from, email)?;
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| SendError::Temporary(e.to_string()))?;
                let name = format!(
                    "{}-{}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"),
                    super::services::platform::new_token().1
                );
                tokio::fs::write(dir.join(name), message.formatted())
                    .await
                    .map_err(|e| SendError::Temporary(e.to_string()))
            }
            Mailer::Memory(mailbox) => {
                if let Some(hold) = first_of(&mailbox.hold_next) {
                    // Cut off here (the future dropped), the message is not delivered.
                    tokio::time::sleep(hold).await;
                }
                let failure = first_of(&mailbox.fail_next);
                if let Some(failure) = failure {
                    return Err(failure);
                }
                if let Ok(mut sent) = mailbox.sent.lock() {
                    sent.push(email.clone());
                }
                Ok(())
            }
            Mailer::Disabled => Err(SendError::Temporary("not sent: no SMTP configured".into())),
        }
    }
}
