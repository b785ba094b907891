//! One-click unsubscribe over real HTTP: the confirmation page changes nothing, POST (RFC 8058
//! body) records one consent reject, and forged, tampered, foreign or malformed tokens get a
//! refusal page and change nothing.

mod server_support;

use chrono::Utc;
use server_support::{TestServer, SIGNING_KEY};
use warmup::actions::unsubscribe_token::{self, Claims};
use warmup::project::{ConsentCategory, Secret};
use warmup::store::{ConsentAction, CustomerId, CustomerRecord, Event};

/// A server with one subscribed customer; returns it and the customer's id.
async fn subscribed() -> (TestServer, CustomerId) {
    let categories = [(
        "newsletter".to_owned(),
        ConsentCategory {
            description: Some("News & offers by e-mail".into()),
        },
    )]
    .into_iter()
    .collect();
    let server = TestServer::start_with(|builder| builder.categories(categories)).await;
    let record = CustomerRecord {
        email: Some("ada@example.com".into()),
        ..CustomerRecord::default()
    };
    let id = server.store().upsert(&record).unwrap().customer();
    let accept = Event::new("consent", Utc::now() - chrono::Duration::days(30))
        .with("action", "accept")
        .with("category", "newsletter");
    server.store().record_event(id, &accept).unwrap();
    (server, id)
}

fn token_for(id: CustomerId) -> String {
    unsubscribe_token::sign(&Secret::new(SIGNING_KEY), &id.to_string(), "newsletter")
}

async fn get(server: &TestServer, token: &str) -> (u16, String) {
    let response = server
        .client
        .get(server.url(&format!("/unsubscribe/{token}")))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    (status, response.text().await.unwrap())
}

/// The RFC 8058 one-click request a mail client sends.
async fn one_click(server: &TestServer, token: &str) -> (u16, String) {
    let response = server
        .client
        .post(server.url(&format!("/unsubscribe/{token}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_page_asks_first_and_changes_nothing() {
    let (server, id) = subscribed().await;
    let (status, html) = get(&server, &token_for(id)).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<form method="post" action="">"#), "{html}");
    assert!(html.contains("<strong>newsletter</strong>"), "{html}");
    assert!(html.contains("News &amp; offers by e-mail"), "{html}");
    assert_eq!(server.store().next_event_seq(), 1);
    let consent = server
        .store()
        .consent_state(id, "newsletter")
        .unwrap()
        .unwrap();
    assert_eq!(consent.action, ConsentAction::Accept);
}

#[tokio::test]
async fn one_click_records_a_single_consent_reject() {
    let (server, id) = subscribed().await;
    let mut feed = server.state.event_feed();
    let token = token_for(id);
    let (status, html) = one_click(&server, &token).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("You will no longer receive <strong>newsletter</strong>"),
        "{html}"
    );

    let logged: Vec<_> = server.store().events_since(1).map(Result::unwrap).collect();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].customer, id);
    assert_eq!(logged[0].event.event_type, "consent");
    assert_eq!(logged[0].event.properties["action"], "reject");
    assert_eq!(logged[0].event.properties["category"], "newsletter");
    assert_eq!(logged[0].event.properties["source"], "unsubscribe_link");
    let consent = server
        .store()
        .consent_state(id, "newsletter")
        .unwrap()
        .unwrap();
    assert_eq!(consent.action, ConsentAction::Reject);
    assert_eq!(*feed.borrow_and_update(), 2);

    // A second click (or the page's own form) confirms again without a second event, so
    // the consent-reject flow fires once.
    let (status, _) = one_click(&server, &token).await;
    assert_eq!(status, 200);
    assert_eq!(server.store().next_event_seq(), 2);
    let (status, html) = get(&server, &token).await;
    assert_eq!(status, 200);
    assert!(html.contains("already unsubscribed"), "{html}");
    assert!(!html.contains("<form"), "{html}");
}

#[tokio::test]
async fn refused_tokens_get_a_page_and_change_nothing() {
    let (server, id) = subscribed().await;
    let valid = token_for(id);
    let foreign = unsubscribe_token::sign(
        &Secret::new("another project"),
        &id.to_string(),
        "newsletter",
    );
    // Someone else's payload under this customer's signature.
    let other = unsubscribe_token::sign_claims(
        &Secret::new(SIGNING_KEY),
        &Claims {
            customer: "999".into(),
            category: "newsletter".into(),
            issued_at: 0,
        },
    );
    let spliced = format!(
        "v1.{}.{}",
        other.split('.').nth(1).unwrap(),
        valid.split('.').nth(2).unwrap()
    );
    let unknown_customer = unsubscribe_token::sign(&Secret::new(SIGNING_KEY), "999", "newsletter");
    let cases = [
        ("foreign key", foreign, 403),
        ("spliced payload", spliced, 403),
        ("garbage", "not-a-token".to_owned(), 400),
        ("truncated", valid[..valid.len() / 2].to_owned(), 400),
        ("unknown version", valid.replacen("v1", "v9", 1), 400),
        ("unknown customer", unknown_customer, 404),
    ];
    let mut pages = Vec::new();
    for (name, token, expected) in cases {
        let (status, page) = get(&server, &token).await;
        assert_eq!(status, expected, "GET {name}: {page}");
        let (status, html) = one_click(&server, &token).await;
        assert_eq!(status, expected, "POST {name}: {html}");
        assert!(html.contains("Nothing was changed."), "{name}: {html}");
        pages.push((name, expected, page));
    }
    assert_eq!(server.store().next_event_seq(), 1, "no event was recorded");
    let consent = server
        .store()
        .consent_state(id, "newsletter")
        .unwrap()
        .unwrap();
    assert_eq!(consent.action, ConsentAction::Accept);
    // The forged page in full; the others differ only in their reason.
    insta::assert_snapshot!(pages[0].2);
    let reasons: Vec<String> = pages
        .iter()
        .map(|(name, status, page)| {
            let reason = page
                .split("<p>")
                .nth(1)
                .and_then(|p| p.split("</p>").next())
                .unwrap_or("");
            format!("{name}: {status} {reason}")
        })
        .collect();
    insta::assert_snapshot!(reasons.join("\n"));
}

#[tokio::test]
async fn a_token_for_a_merged_customer_reaches_the_survivor() {
    let (server, id) = subscribed().await;
    let other = CustomerRecord {
        klaviyo_id: Some("01K".into()),
        ..CustomerRecord::default()
    };
    let absorbed = server.store().upsert(&other).unwrap().customer();
    let both = CustomerRecord {
        email: Some("ada@example.com".into()),
        klaviyo_id: Some("01K".into()),
        ..CustomerRecord::default()
    };
    server.store().upsert(&both).unwrap();
    let (status, _) = one_click(&server, &token_for(absorbed)).await;
    assert_eq!(status, 200);
    let consent = server
        .store()
        .consent_state(id, "newsletter")
        .unwrap()
        .unwrap();
    assert_eq!(consent.action, ConsentAction::Reject);
}

#[tokio::test]
async fn without_a_signing_key_links_are_not_served() {
    let server = TestServer::start_with(|builder| builder.unsubscribe_key(None)).await;
    let (status, html) = get(&server, "v1.a.b").await;
    assert_eq!(status, 404);
    assert!(html.contains("not enabled"), "{html}");
}
