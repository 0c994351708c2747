//! Group commit: callers hand one item each to a task that takes whatever
//! is waiting (up to a limit) and handles it as one batch, so a burst of
//! writes shares one transaction, one disk sync and one trip to the
//! database's thread instead of paying them each. A lone item is handled
//! at once; batching happens only when items arrive faster than a batch
//! commits, so it adds no waiting of its own.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, OnceCell};

/// What the batch handler returns: one result per item, in order.
pub type BatchFuture<R> = Pin<Box<dyn Future<Output = Vec<R>> + Send>>;

type Handler<T, R> = Arc<dyn Fn(Vec<T>) -> BatchFuture<R> + Send + Sync>;
type Entry<T, R> = (T, oneshot::Sender<R>);

/// A group-commit queue. The task starts on first use (inside the
/// runtime), so the queue can be built where there is none yet.
pub struct GroupCommit<T, R> {
    limit: usize,
    handler: Handler<T, R>,
    sender: Arc<OnceCell<mpsc::Sender<Entry<T, R>>>>,
}

impl<T, R> Clone for GroupCommit<T, R> {
    fn clone(&self) -> Self {
        Self {
            limit: self.limit,
            handler: Arc::clone(&self.handler),
            sender: Arc::clone(&self.sender),
        }
    }
}

impl<T: Send + 'static, R: Send + 'static> GroupCommit<T, R> {
    /// A queue whose batches (at most `limit` items) go to `handler`.
    pub fn new(limit: usize, handler: impl Fn(Vec<T>) -> BatchFuture<R> + Send + Sync + 'static) -> Self {
        Self {
            limit: limit.max(1),
            handler: Arc::new(handler),
            sender: Arc::new(OnceCell::new()),
        }
    }

    /// Handles `item` in the next batch; `None` if the queue's task is
    /// gone or the handler returned fewer results than items.
    pub async fn submit(&self, item: T) -> Option<R> {
        let sender = self.sender.get_or_init(|| async { self.spawn() }).await;
        let (reply, answer) = oneshot::channel();
        sender.send((item, reply)).await.ok()?;
        answer.await.ok()
    }

    fn spawn(&self) -> mpsc::Sender<Entry<T, R>> {
        let (sender, mut receiver) = mpsc::channel::<Entry<T, R>>(4 * self.limit);
        let (handler, limit) = (Arc::clone(&self.handler), self.limit);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(limit);
            while receiver.recv_many(&mut batch, limit).await > 0 {
                let (items, replies): (Vec<T>, Vec<oneshot::Sender<R>>) = batch.drain(..).unzip();
                let results = handler(items).await;
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
        });
        sender
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_shares_batches_and_every_caller_gets_its_own_result() {
        let batches = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&batches);
        let queue = GroupCommit::new(8, move |items: Vec<u32>| {
            counted.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                items.into_iter().map(|i| i * 10).collect()
            }) as BatchFuture<u32>
        });
        let calls: Vec<_> = (0..40u32)
            .map(|i| {
                let queue = queue.clone();
                tokio::spawn(async move { (i, queue.submit(i).await) })
            })
            .collect();
        for call in calls {
            let (i, result) = call.await.unwrap();
            assert_eq!(result, Some(i * 10));
        }
        let used = batches.load(Ordering::SeqCst);
        assert!((5..40).contains(&used), "40 items in {used} batches of at most 8");
    }

    #[tokio::test]
    async fn a_short_answer_is_none_for_the_items_left_without_a_result() {
        let queue = GroupCommit::new(4, |_items: Vec<u32>| Box::pin(async { Vec::new() }) as BatchFuture<u32>);
        assert_eq!(queue.submit(1).await, None);
    }
}
