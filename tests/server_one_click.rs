//! Concurrent one-click POSTs on one link record one consent reject: 20 links clicked 16
//! times each at once record exactly 20, and later repeats record nothing.

mod server_support;

use chrono::Utc;
use server_support::{TestServer, SIGNING_KEY};
use warmup::actions::unsubscribe_token;
use warmup::project::Secret;
use warmup::store::{CustomerId, CustomerRecord, Event};

const LINKS: usize = 20;
const CLICKS: usize = 16;

async fn subscribers(server: &TestServer) -> Vec<CustomerId> {
    (0..LINKS)
        .map(|i| {
            let record = CustomerRecord {
                email: Some(format!("c{i}@example.com")),
                ..CustomerRecord::default()
            };
            let id = server.store().upsert(&record).unwrap().customer();
            let accept = Event::new("consent", Utc::now() - chrono::Duration::days(3))
                .with("action", "accept")
                .with("category", "newsletter");
            server.store().record_event(id, &accept).unwrap();
            id
        })
        .collect()
}

/// Clicks every link `CLICKS` times at once; returns the statuses.
async fn click_all(server: &TestServer, tokens: &[String]) -> Vec<u16> {
    let mut clicks = Vec::new();
    for token in tokens {
        for _ in 0..CLICKS {
            let request = server
                .client
                .post(server.url(&format!("/unsubscribe/{token}")))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("List-Unsubscribe=One-Click")
                .send();
            clicks.push(tokio::spawn(request));
        }
    }
    let mut statuses = Vec::new();
    for click in clicks {
        statuses.push(click.await.unwrap().unwrap().status().as_u16());
    }
    statuses
}

fn rejects(server: &TestServer) -> usize {
    server
        .store()
        .events_since(0)
        .map(Result::unwrap)
        .filter(|logged| {
            logged.event.event_type == "consent" && logged.event.properties["action"] == "reject"
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_clicks_on_one_link_record_one_reject() {
    let server = TestServer::start().await;
    let ids = subscribers(&server).await;
    let key = Secret::new(SIGNING_KEY);
    let tokens: Vec<String> = ids
        .iter()
        .map(|id| unsubscribe_token::sign(&key, &id.to_string(), "newsletter"))
        .collect();

    let statuses = click_all(&server, &tokens).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(rejects(&server), LINKS);
    let mut per_customer: Vec<CustomerId> = server
        .store()
        .events_since(0)
        .map(Result::unwrap)
        .filter(|logged| logged.event.properties["action"] == "reject")
        .map(|logged| logged.customer)
        .collect();
    per_customer.sort();
    assert_eq!(per_customer, ids, "one reject per customer");

    // Repeats, concurrent again, record nothing.
    let statuses = click_all(&server, &tokens).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(rejects(&server), LINKS);
}
