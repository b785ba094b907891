//! A fake Klaviyo seeded from a file: what the file says is what the API serves, ids left out
//! are the same on every load, and a saved account loads back unchanged.

mod klaviyo_support;

use std::path::Path;

use klaviyo_support::http::call;
use reqwest::Method;
use serde_json::{json, Value};
use warmup::klaviyo::fake::{FakeConfig, FakeKlaviyo, FakeState, RateLimits};

const ACCOUNT: &str = "tests/fixtures/klaviyo/account.yaml";

async fn start(config: FakeConfig) -> FakeKlaviyo {
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..config
    };
    FakeKlaviyo::start(config).await.unwrap()
}

/// `data` of a GET, following `links.next` to the end.
async fn all(fake: &FakeKlaviyo, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some(path.to_owned());
    while let Some(url) = next {
        let reply = call(fake, Method::GET, &url, None).await;
        assert_eq!(reply.status, 200, "{url}: {}", reply.body);
        out.extend(reply.body["data"].as_array().unwrap().iter().cloned());
        next = reply.body["links"]["next"].as_str().map(str::to_owned);
    }
    out
}

fn by_email<'a>(profiles: &'a [Value], email: &str) -> &'a Value {
    profiles
        .iter()
        .find(|p| p["attributes"]["email"] == email)
        .unwrap_or_else(|| panic!("no profile {email}"))
}

#[tokio::test]
async fn the_api_serves_what_the_file_says() {
    let fake = start(FakeConfig::from_seed_file(ACCOUNT)).await;
    let profiles = all(
        &fake,
        "/api/profiles?additional-fields[profile]=subscriptions&page[size]=2",
    )
    .await;
    assert_eq!(profiles.len(), 3);
    let ids: Vec<&str> = profiles.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert!(ids.iter().all(|id| id.len() == 26), "ULIDs: {ids:?}");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "id order: {ids:?}");
    let sarah = by_email(&profiles, "sarah.mason@example.com");
    assert_eq!(
        sarah["attributes"]["properties"]["Shopify Tags"],
        json!(["vip", "repeat"])
    );
    assert_eq!(sarah["attributes"]["location"]["city"], "Prague");
    let email = &sarah["attributes"]["subscriptions"]["email"]["marketing"];
    assert_eq!(email["consent"], "SUBSCRIBED");
    assert_eq!(email["consent_timestamp"], "2025-03-01T09:05:00+00:00");
    assert_eq!(email["method"], "FORM");
    assert_eq!(email["method_detail"], "Footer signup");
    assert_eq!(email["can_receive_email_marketing"], true);
    let john = by_email(&profiles, "john.novak@example.com");
    let subscriptions = &john["attributes"]["subscriptions"];
    assert_eq!(
        subscriptions["email"]["marketing"]["consent"],
        "UNSUBSCRIBED"
    );
    assert_eq!(
        subscriptions["email"]["marketing"]["can_receive_email_marketing"],
        false
    );
    assert_eq!(
        subscriptions["email"]["marketing"]["suppression"],
        json!([{"reason": "UNSUBSCRIBE", "timestamp": "2025-04-10T08:00:00+00:00"}])
    );
    assert_eq!(subscriptions["sms"]["marketing"]["consent"], "SUBSCRIBED");
    assert_eq!(subscriptions["sms"]["marketing"]["method_detail"], "JOIN");
    assert_eq!(
        subscriptions["sms"]["marketing"]["can_receive_sms_marketing"],
        true
    );
    // Ana has no `created`: her earliest time in the file (the consent) stands in.
    let ana = by_email(&profiles, "ana.garcia@example.com");
    assert_eq!(ana["attributes"]["created"], "2025-03-03T11:00:00+00:00");
    assert_eq!(ana["attributes"]["external_id"], "shop-1003");
    assert_eq!(
        ana["attributes"]["subscriptions"]["email"]["marketing"]["list_suppressions"],
        json!([{"list_id": "Y6nRLr", "reason": "UNSUBSCRIBE",
                "timestamp": "2025-04-01T12:00:00+00:00"}]),
        "the list named Newsletter in the file is referred to by its id"
    );

    let lists = all(&fake, "/api/lists").await;
    let list = |name: &str| {
        lists
            .iter()
            .find(|l| l["attributes"]["name"] == name)
            .unwrap_or_else(|| panic!("no list {name}"))
    };
    assert_eq!(lists.len(), 3);
    assert_eq!(list("Newsletter")["id"], "Y6nRLr");
    assert_eq!(list("VIP")["attributes"]["opt_in_process"], "double_opt_in");
    assert_eq!(
        list("SMS Subscribers")["attributes"]["opt_in_process"],
        "single_opt_in"
    );
    let vip = list("VIP")["id"].as_str().unwrap();
    assert_eq!(vip.len(), 6, "{vip}");
    let sms = list("SMS Subscribers")["id"].as_str().unwrap();
    for (list, members) in [("Y6nRLr", [sarah]), (vip, [sarah]), (sms, [john])] {
        let got = all(&fake, &format!("/api/lists/{list}/relationships/profiles")).await;
        let want: Vec<&Value> = members.iter().map(|p| &p["id"]).collect();
        let got: Vec<&Value> = got.iter().map(|p| &p["id"]).collect();
        assert_eq!(got, want, "members of {list}");
    }

    let metrics = all(&fake, "/api/metrics").await;
    let metric = |name: &str| {
        metrics
            .iter()
            .find(|m| m["attributes"]["name"] == name)
            .unwrap_or_else(|| panic!("no metric {name}"))
    };
    assert_eq!(
        metric("Opened Email")["attributes"]["integration"]["name"],
        "Klaviyo"
    );
    assert_eq!(
        metric("Started Checkout")["attributes"]["integration"]["category"],
        "eCommerce"
    );

    let clicked = metric("Clicked Email")["id"].as_str().unwrap();
    let events = all(
        &fake,
        &format!("/api/events?filter=equals(metric_id,\"{clicked}\")"),
    )
    .await;
    assert_eq!(events.len(), 1);
    let click = &events[0];
    assert_eq!(click["attributes"]["datetime"], "2025-04-15T08:31:00+00:00");
    assert_eq!(click["relationships"]["profile"]["data"]["id"], sarah["id"]);
    let properties = &click["attributes"]["event_properties"];
    assert_eq!(properties["Campaign Name"], "Spring Sale");
    assert_eq!(properties["Subject"], "20 % off everything");
    assert_eq!(properties["URL"], "https://shop.example.com/spring");
    assert_eq!(properties["Email Domain"], "example.com");

    let subscribed = metric("Subscribed to List")["id"].as_str().unwrap();
    let joins = all(
        &fake,
        &format!("/api/events?filter=equals(metric_id,\"{subscribed}\")"),
    )
    .await;
    let lists_of_joins: Vec<&Value> = joins
        .iter()
        .map(|e| &e["attributes"]["event_properties"]["List"])
        .collect();
    assert_eq!(
        lists_of_joins,
        [
            &json!("Newsletter"),
            &json!("VIP"),
            &json!("SMS Subscribers"),
            &json!("Newsletter")
        ],
        "list events in time order, each naming its list"
    );
    let checkout = metric("Started Checkout")["id"].as_str().unwrap();
    let checkouts = all(
        &fake,
        &format!("/api/events?filter=equals(metric_id,\"{checkout}\")"),
    )
    .await;
    assert_eq!(
        checkouts[0]["attributes"]["event_properties"]["Value"],
        59.9
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn ids_left_out_are_the_same_on_every_load() {
    let first = FakeState::from_seed_file(Path::new(ACCOUNT)).unwrap();
    let second = FakeState::from_seed_file(Path::new(ACCOUNT)).unwrap();
    let ids = |s: &FakeState| {
        let profiles = s.profiles().iter().map(|p| p.id.clone());
        let lists = s.lists().iter().map(|l| l.id.clone());
        let metrics = s.metrics().iter().map(|m| m.id.clone());
        profiles.chain(lists).chain(metrics).collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), ids(&second));
    assert_eq!(
        first.metrics().len(),
        18,
        "17 built-ins and one custom metric"
    );
}

/// Everything the API can show of an account, for comparing two accounts.
fn account(state: &FakeState) -> Value {
    let lists: Vec<Value> = state
        .lists()
        .iter()
        .map(|l| {
            json!([
                l.id,
                l.name,
                l.opt_in_process.as_str(),
                l.created,
                state.list_members(&l.id)
            ])
        })
        .collect();
    let metrics: Vec<Value> = state
        .metrics()
        .iter()
        .map(|m| json!([m.id, m.name, m.integration, m.category, m.created]))
        .collect();
    json!({
        "profiles": format!("{:?}", state.profiles()),
        "lists": lists,
        "metrics": metrics,
        "events": state.event_summaries(),
    })
}

/// The event properties the API serves, all pages.
async fn served_events(fake: &FakeKlaviyo) -> Vec<Value> {
    all(fake, "/api/events?page[size]=1000")
        .await
        .into_iter()
        .map(|e| {
            json!([
                e["id"],
                e["attributes"],
                e["relationships"]["profile"]["data"]
            ])
        })
        .collect()
}

#[tokio::test]
async fn a_saved_account_loads_back_the_same_in_json_and_yaml() {
    let dir = tempfile::tempdir().unwrap();
    for source in [
        FakeConfig::from_seed_file(ACCOUNT),
        FakeConfig::with_profiles(150),
    ] {
        let fake = start(source).await;
        // A change through the API is saved too.
        let reply = call(
            &fake,
            Method::POST,
            "/api/profiles",
            Some(json!({"data": {"type": "profile", "attributes": {
                "email": "new@example.com", "first_name": "New",
                "properties": {"plan": {"tier": "gold", "seats": 3}}}}})),
        )
        .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let before = account(&fake.state());
        let events_before = served_events(&fake).await;
        for name in ["saved.json", "saved.yaml"] {
            let path = dir.path().join(name);
            fake.dump_state(&path).unwrap();
            let again = start(FakeConfig::from_seed_file(&path)).await;
            assert_eq!(account(&again.state()), before, "{name}");
            assert_eq!(served_events(&again).await, events_before, "{name}");
            again.shutdown().await;
        }
        fake.shutdown().await;
    }
}

#[test]
fn the_readme_example_is_a_valid_seed_file() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = &readme[readme.find("#### Seed files").expect("seed file section")..];
    let start = section.find("```yaml\n").expect("a YAML example") + "```yaml\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("example.yaml");
    std::fs::write(&path, example).unwrap();
    let state = FakeState::from_seed_file(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state.profile_count(), 2);
    assert_eq!(state.event_count(), 3);
    let vip = state.lists().iter().find(|l| l.name == "VIP").unwrap();
    assert_eq!(state.list_members(&vip.id).len(), 1);
}
