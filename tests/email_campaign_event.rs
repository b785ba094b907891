//! The `campaign` event recorded for an e-mail carries the message's `Message-ID`.

mod support;

use support::email_setup::check_message;
use support::email_tick::{printed, show_customer, tick_project, tick_through_send};
use support::smtp_server::SmtpServer;

#[tokio::test(flavor = "multi_thread")]
async fn the_campaign_event_names_the_message_id_the_receiver_got() {
    let server = SmtpServer::start().await;
    let transport = serde_json::json!({
        "kind": "smtp", "host": "127.0.0.1", "port": server.port, "tls": "none",
        "timeout_seconds": 5,
    });
    let emails = ["ann@example.com", "bob@example.net"];
    let project = tick_project(transport, &emails);
    let root = project.dir.path().to_owned();
    let output = tokio::task::spawn_blocking(move || tick_through_send(&root))
        .await
        .unwrap();
    assert!(output.status.success(), "{}", printed(&output));
    let messages = server.messages();
    assert_eq!(messages.len(), 2, "{messages:?}");
    for (id, email) in emails.iter().enumerate() {
        let received = messages
            .iter()
            .find(|m| m.to == [email.to_string()])
            .expect("message received");
        let message_id = check_message(&received.data, &(id + 1).to_string(), email);
        let shown = show_customer(project.dir.path(), email);
        let expected = format!(r#""message_id":"{message_id}""#);
        assert!(shown.contains(&expected), "{expected} not in {shown}");
    }
}
