//! Outgoing email: through SMTP when `smtp_url` is set, otherwise written to
//! the log (so a self-hoster without mail still sees invitation and reset
//! links). Mails are sent by the `email.send` job, so a slow or failing mail
//! server never fails the request that caused the mail.
//!
//! Every SMTP exchange has a deadline (each command, and the whole send), so
//! a server that accepts the connection and never answers fails the job for a
//! retry instead of holding the worker. Each mail carries a `Message-ID` made
//! from its job, so if a replica dies after sending but before recording it,
//! the retry sends the very same message and receivers can drop the copy.
//! A recipient the server refuses for good (5xx) fails the job at once.

use crate::error::Error;
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use stackpro_store::jobs::JobError;
use std::time::Duration;

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// Written to the log at INFO.
    Log,
    /// Sent through an SMTP server.
    Smtp {
        /// The transport (boxed: it is large and the log variant is empty).
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        /// The sender.
        from: Mailbox,
        /// The deadline of each SMTP command.
        timeout: Duration,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mailer::Log => "Mailer::Log",
            Mailer::Smtp { .. } => "Mailer::Smtp",
        })
    }
}

impl Mailer {
    /// A mailer for the configured URL (`smtp://`, `smtps://`), or the log;
    /// `timeout` bounds each SMTP command.
    ///
    /// # Errors
    /// When the URL or sender does not parse.
    pub fn new(url: Option<&SecretString>, from: &str, timeout: Duration) -> Result<Mailer, Error> {
        let Some(url) = url else {
            return Ok(Mailer::Log);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|e| Error::Crypto(format!("STACKPRO_SMTP_URL: {e}")))?
            .timeout(Some(timeout))
            .build();
        let transport = Box::new(transport);
        let from = from.parse().map_err(|e| Error::Crypto(format!("STACKPRO_SMTP_FROM: {e}")))?;
        Ok(Mailer::Smtp { transport, from, timeout })
    }

    /// The longest one send may take: a handful of commands, each bounded.
    pub fn send_deadline(&self) -> Duration {
        match self {
            Mailer::Log => Duration::from_secs(5),
            Mailer::Smtp { timeout, .. } => *timeout * 4,
        }
    }

    /// Whether mail really leaves the server.
    pub fn sends(&self) -> bool {
        matches!(self, Mailer::Smtp { .. })
    }

    /// Sends one plain-text mail. `key` is unique to this mail and the same
    /// on every attempt (the job id): it becomes the `Message-ID`.
    ///
    /// # Errors
    /// [`JobError::Fail`] for a recipient refused for good, [`JobError::Retry`]
    /// for anything that may pass later (the server down, slow or busy).
    pub async fn send(&self, to: &str, subject: &str, body: &str, key: &str) -> Result<(), JobError> {
        match self {
            Mailer::Log => {
                tracing::info!(mail.to = %to, mail.subject = %subject, mail.body = %body, "email (no SMTP configured)");
                Ok(())
            }
            Mailer::Smtp { transport, from, .. } => {
                let to: Mailbox = to.parse().map_err(|e| JobError::Fail(format!("recipient {to:?}: {e}")))?;
                let domain = from.email.domain().to_owned();
                let msg = Message::builder()
                    .message_id(Some(format!("<{key}@{domain}>")))
                    .from(from.clone())
                    .to(to)
                    .subject(subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(body.to_owned())
                    .map_err(|e| JobError::Fail(format!("building mail: {e}")))?;
                let deadline = self.send_deadline();
                match tokio::time::timeout(deadline, transport.send(msg)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) if e.is_permanent() => Err(JobError::Fail(format!("SMTP refused it: {e}"))),
                    Ok(Err(e)) => Err(JobError::Retry(format!("SMTP: {e}"))),
                    Err(_) => Err(JobError::Retry(format!("SMTP: no answer within {} s", deadline.as_secs()))),
                }
            }
        }
    }
}
