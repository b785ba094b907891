//! Fetches the pages of a collection on its own task, a couple ahead of the writer, so that
//! network and store writes overlap.

use reqwest::Url;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::klaviyo::client::{KlaviyoClient, KlaviyoError, Page, Pages};

/// Pages fetched ahead.
const AHEAD: usize = 2;

/// Starts fetching from `first`; the receiver yields pages in order, then closes. Dropping
/// the receiver or cancelling `cancel` stops the fetcher.
pub fn prefetch<A>(
    tracker: &TaskTracker,
    cancel: &CancellationToken,
    client: &KlaviyoClient,
    first: Url,
) -> mpsc::Receiver<Result<Page<A>, KlaviyoError>>
where
    A: DeserializeOwned + Send + 'static,
{
    let (tx, rx) = mpsc::channel(AHEAD);
    let client = client.clone();
    let cancel = cancel.clone();
    tracker.spawn(async move {
        let mut pages: Pages<'_, A> = Pages::new(&client, first);
        loop {
            let next = tokio::select! {
                next = pages.next_page() => next,
                () = cancel.cancelled() => return,
            };
            let item = match next {
                Ok(Some(page)) => Ok(page),
                Ok(None) => return,
                Err(error) => Err(error),
            };
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                return;
            }
        }
    });
    rx
}
