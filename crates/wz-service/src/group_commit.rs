//! Group commit: callers hand one item each to a task that takes whatever
//! is waiting (up to a limit) and handles it as one batch, so a burst of
//! writes shares one transaction, one disk sync and one trip to the
//! database's thread instead of paying them each. A lone item is handled
//! at once; batching happens only when items arrive faster than a batch
//! commits, so it adds no waiting of its own.
//!
//! Before a batch closes, the task lets whatever is ready to run go first
//! ([`gather_ready`]): callers woken together (by the previous batch's
//! answers) then reach the queue together instead of one per batch.

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
                gather_ready(&mut receiver, &mut batch, limit).await;
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

/// Most scheduler passes [`gather_ready`] makes: under a load where every
/// pass brings a few more callers, the batch closes after these instead of
/// holding its first callers until `limit` have arrived.
const MAX_GATHER_PASSES: usize = 8;

/// Adds to `batch` the items of tasks that are ready to run now: yields to
/// the scheduler, takes what arrived, and stops after a pass that brought
/// nothing (or at `limit`, or after [`MAX_GATHER_PASSES`]). No timer is
/// involved, so a lone item waits for one yield only.
///
/// Why: tokio runs a task woken by the running task next (its LIFO slot),
/// so a batch task woken by the first of many callers that were released
/// together would otherwise take that one caller alone, every time.
pub(crate) async fn gather_ready<T>(receiver: &mut mpsc::Receiver<T>, batch: &mut Vec<T>, limit: usize) {
    for _ in 0..MAX_GATHER_PASSES {
        if batch.len() >= limit {
            break;
        }
        tokio::task::yield_now().await;
        let before = batch.len();
        while batch.len() < limit {
            match receiver.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        if batch.len() == before {
            break;
        }
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

    /// Callers released at the same moment reach one batch even when the
    /// handler answers at once: without `gather_ready` the batch task ran
    /// right after the first caller (tokio's LIFO slot) and took it alone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_released_together_share_a_batch_without_any_waiting() {
        let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let recorded = Arc::clone(&sizes);
        let queue = GroupCommit::new(256, move |items: Vec<u32>| {
            recorded.lock().unwrap().push(items.len());
            Box::pin(async move { items }) as BatchFuture<u32>
        });
        let start = Arc::new(tokio::sync::Barrier::new(33));
        let calls: Vec<_> = (0..32u32)
            .map(|i| {
                let (queue, start) = (queue.clone(), Arc::clone(&start));
                tokio::spawn(async move {
                    start.wait().await;
                    queue.submit(i).await
                })
            })
            .collect();
        start.wait().await;
        for (i, call) in calls.into_iter().enumerate() {
            assert_eq!(call.await.unwrap(), Some(i as u32));
        }
        let sizes = sizes.lock().unwrap().clone();
        assert_eq!(sizes.iter().sum::<usize>(), 32);
        assert!(sizes.len() <= 4, "32 callers released together went into batches of {sizes:?}");
    }

    /// A caller that keeps arriving, one per pass, cannot hold a batch open
    /// until `limit`.
    #[tokio::test]
    async fn gathering_stops_after_a_bounded_number_of_passes() {
        let (sender, mut receiver) = mpsc::channel(1_000);
        let producer = tokio::spawn(async move {
            for i in 0..1_000u32 {
                if sender.send(i).await.is_err() {
                    break;
                }
                tokio::task::yield_now().await;
            }
        });
        let mut batch = vec![receiver.recv().await.unwrap()];
        gather_ready(&mut receiver, &mut batch, 1_000).await;
        assert!(batch.len() > 1, "the passes gathered nothing");
        assert!(
            batch.len() <= 1 + 2 * MAX_GATHER_PASSES && batch.len() < 100,
            "gathered {} of the 1,000 items",
            batch.len()
        );
        producer.abort();
    }

    #[tokio::test]
    async fn a_short_answer_is_none_for_the_items_left_without_a_result() {
        let queue = GroupCommit::new(4, |_items: Vec<u32>| Box::pin(async { Vec::new() }) as BatchFuture<u32>);
        assert_eq!(queue.submit(1).await, None);
    }
}
