//! How watchers (long-poll, event streams) learn that a session changed,
//! whichever instance changed it. This instance's changes are published
//! here as they commit; other instances' arrive through a [`ChangeSource`]
//! (PostgreSQL's `LISTEN`, or a broker later) that [`SessionFeed::follow`]
//! runs. An announcement carries the session id only: a watcher re-reads
//! the row, so nothing personal travels and a late or doubled
//! announcement is harmless.
//!
//! While the source is not connected the feed is not *live*: watchers then
//! re-read their row at least once a second, and every change of liveness
//! is announced as [`Change::Resync`], so a change made while the feed was
//! deaf is found late, never missed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::broadcast;
pub use wz_store::Heard;

/// Capacity of the in-process channel; a watcher that falls further
/// behind is told it lagged and re-reads its row.
const CAPACITY: usize = 4096;
/// Pause before asking a source that lost its connection to reconnect.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

/// What a watcher is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// This session changed (on this instance or another).
    Session(String),
    /// Announcements may have been missed: re-read.
    Resync,
}

/// Other instances' session changes.
#[async_trait]
pub trait ChangeSource: Send + 'static {
    /// The next thing heard; connects first when not connected.
    async fn next(&mut self) -> Heard;
}

/// The feed every watcher subscribes to.
#[derive(Clone)]
pub struct SessionFeed {
    sender: broadcast::Sender<Change>,
    live: Arc<AtomicBool>,
}

impl Default for SessionFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionFeed {
    /// A feed for one instance: live, since it hears every change there is.
    pub fn new() -> Self {
        Self {
            sender: broadcast::channel(CAPACITY).0,
            live: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Announces a change of `session_id` to this instance's watchers.
    pub fn publish(&self, session_id: &str) {
        let _ = self.sender.send(Change::Session(session_id.to_owned()));
    }

    /// Watches every change.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }

    /// Whether every change reaches watchers as it happens; when not,
    /// watchers re-read at least once a second.
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    fn set_live(&self, live: bool) {
        if self.live.swap(live, Ordering::AcqRel) != live {
            let _ = self.sender.send(Change::Resync);
        }
    }

    /// Follows `source` for as long as the runtime runs: its changes are
    /// published here, and the feed is live only while it is connected.
    pub fn follow(&self, mut source: impl ChangeSource) -> tokio::task::JoinHandle<()> {
        let feed = self.clone();
        feed.set_live(false);
        tokio::spawn(async move {
            loop {
                match source.next().await {
                    Heard::Connected => {
                        tracing::info!("session change feed connected");
                        feed.set_live(true);
                    }
                    Heard::Changed(id) => feed.publish(&id),
                    Heard::Lost => {
                        if feed.is_live() {
                            tracing::warn!("session change feed lost its connection; watchers re-read every second");
                        }
                        feed.set_live(false);
                        tokio::time::sleep(RECONNECT_PAUSE).await;
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::VecDeque;

    use super::*;

    struct Scripted(VecDeque<Heard>);

    #[async_trait]
    impl ChangeSource for Scripted {
        async fn next(&mut self) -> Heard {
            match self.0.pop_front() {
                Some(heard) => heard,
                None => std::future::pending().await,
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_source_feeds_watchers_and_its_outages_make_them_resync() {
        let feed = SessionFeed::new();
        let mut watcher = feed.subscribe();
        let script = [
            Heard::Connected,
            Heard::Changed("s-1".into()),
            Heard::Lost,
            Heard::Connected,
            Heard::Changed("s-2".into()),
        ];
        let task = feed.follow(Scripted(script.into_iter().collect()));
        let mut seen = Vec::new();
        while seen.len() < 6 {
            seen.push(watcher.recv().await.unwrap());
        }
        assert_eq!(
            seen,
            vec![
                Change::Resync, // not live until connected
                Change::Resync, // connected
                Change::Session("s-1".into()),
                Change::Resync, // lost
                Change::Resync, // back
                Change::Session("s-2".into()),
            ]
        );
        assert!(feed.is_live());
        feed.publish("local");
        assert_eq!(watcher.recv().await.unwrap(), Change::Session("local".into()));
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_source_that_never_connects_leaves_the_feed_not_live() {
        let feed = SessionFeed::new();
        let task = feed.follow(Scripted([Heard::Lost, Heard::Lost].into_iter().collect()));
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!feed.is_live());
        task.abort();
    }
}
