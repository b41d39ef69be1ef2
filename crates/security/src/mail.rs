//! Outgoing email: through SMTP when `smtp_url` is set, otherwise written to
//! the log (so a self-hoster without mail still sees invitation and reset
//! links). Mails are sent by the `email.send` job, so a slow or failing mail
//! server never fails the request that caused the mail.

use crate::error::Error;
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

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
    /// A mailer for the configured URL (`smtp://`, `smtps://`), or the log.
    ///
    /// # Errors
    /// When the URL or sender does not parse.
    pub fn new(url: Option<&SecretString>, from: &str) -> Result<Mailer, Error> {
        let Some(url) = url else {
            return Ok(Mailer::Log);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|e| Error::Crypto(format!("STACKPRO_SMTP_URL: {e}")))?
            .build();
        let transport = Box::new(transport);
        let from = from.parse().map_err(|e| Error::Crypto(format!("STACKPRO_SMTP_FROM: {e}")))?;
        Ok(Mailer::Smtp { transport, from })
    }

    /// Whether mail really leaves the server.
    pub fn sends(&self) -> bool {
        matches!(self, Mailer::Smtp { .. })
    }

    /// Sends one plain-text mail.
    ///
    /// # Errors
    /// A message naming the SMTP failure, for the job's retry record.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        match self {
            Mailer::Log => {
                tracing::info!(mail.to = %to, mail.subject = %subject, mail.body = %body, "email (no SMTP configured)");
                Ok(())
            }
            Mailer::Smtp { transport, from } => {
                let to: Mailbox = to.parse().map_err(|e| format!("recipient {to:?}: {e}"))?;
                let msg = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(body.to_owned())
                    .map_err(|e| format!("building mail: {e}"))?;
                transport.send(msg).await.map(|_| ()).map_err(|e| format!("SMTP: {e}"))
            }
        }
    }
}
