//! Hearing other processes' session changes: a dedicated connection
//! `LISTEN`s on the channel every session change's transaction notifies
//! at commit ([`wz_store::sql::SESSION_CHANNEL`]; payload: the session id).

use sqlx::postgres::PgListener;
use wz_store::sql::SESSION_CHANNEL;
use wz_store::Heard;

/// The listening connection, reconnected on demand.
pub struct SessionListener {
    url: String,
    listener: Option<PgListener>,
}

impl SessionListener {
    /// A listener for the database at `url` (not connected yet).
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            listener: None,
        }
    }

    /// Connects when not connected (then says so), else waits for the next
    /// notification. Notifications sent while disconnected are not
    /// delivered: whoever relies on them re-reads after [`Heard::Lost`].
    pub async fn next(&mut self) -> Heard {
        let Some(listener) = self.listener.as_mut() else {
            return match connect(&self.url).await {
                Ok(listener) => {
                    self.listener = Some(listener);
                    Heard::Connected
                }
                Err(error) => {
                    tracing::debug!(error = &error as &dyn std::error::Error, "listening connection failed");
                    Heard::Lost
                }
            };
        };
        match listener.try_recv().await {
            Ok(Some(notification)) => Heard::Changed(notification.payload().to_owned()),
            Ok(None) | Err(_) => {
                self.listener = None;
                Heard::Lost
            }
        }
    }
}

async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(SESSION_CHANNEL).await?;
    Ok(listener)
}
