//! Every secret the project needs resolves: the environment variable is set and not empty,
//! the file is readable and not empty. A problem points at the secret's field in the project
//! file and names where the scenarios use it.

use std::collections::BTreeMap;

use super::uses::NodeUse;
use super::Needs;
use crate::project::{Project, SecretSource, Transport};
use crate::scenario::{Code, Reporter, YamlPath};

/// A secret the project needs: its field, its source, and who needs it.
struct Needed<'a> {
    path: YamlPath,
    field: String,
    source: &'a SecretSource,
    used_by: Vec<String>,
}

/// Reports every needed secret that does not resolve.
pub fn check(project: &Project, nodes: &[NodeUse], needs: Needs, reporter: &mut Reporter) {
    for needed in needed(project, nodes, needs) {
        let Err(error) = needed.source.read(&project.root) else {
            continue;
        };
        let diagnostic = reporter.value(
            &needed.path,
            Code::SecretUnreadable,
            None,
            format!("`{}`: {error}", needed.field),
        );
        if !needed.used_by.is_empty() {
            diagnostic.help = Some(format!("needed by {}", needed.used_by.join(", ")));
        }
    }
}

fn needed<'a>(project: &'a Project, nodes: &[NodeUse], needs: Needs) -> Vec<Needed<'a>> {
    let root = YamlPath::root();
    let mut out = Vec::new();
    // Auth schemas, by the webhook nodes that name them.
    let mut auth_users: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for node in nodes {
        if let Some(auth) = node.text("auth") {
            auth_users.entry(auth).or_default().push(format!(
                "node `{}` at {}",
                node.node,
                node.location("auth")
            ));
        }
    }
    for (name, used_by) in auth_users {
        if let Some(schema) = project.file.auth.get(name) {
            let path = root.key("auth").key(name).key("secret");
            out.push(Needed {
                path,
                field: format!("auth.{name}.secret"),
                source: &schema.secret,
                used_by,
            });
        }
    }
    let mailers: Vec<String> = nodes
        .iter()
        .filter(|n| n.text("kind") == Some("email"))
        .map(|n| format!("node `{}` at {}", n.node, n.location("kind")))
        .collect();
    if let (Some(email), false) = (&project.file.email, mailers.is_empty()) {
        let section = root.key("email");
        out.push(Needed {
            path: section.key("unsubscribe").key("signing_key"),
            field: "email.unsubscribe.signing_key".into(),
            source: &email.unsubscribe.signing_key,
            used_by: mailers.clone(),
        });
        if let Transport::Smtp {
            password: Some(password),
            ..
        } = &email.transport
        {
            out.push(Needed {
                path: section.key("transport").key("password"),
                field: "email.transport.password".into(),
                source: password,
                used_by: mailers,
            });
        }
    }
    if let (true, Some(klaviyo)) = (needs.klaviyo, &project.file.klaviyo) {
        out.push(Needed {
            path: root.key("klaviyo").key("api_key"),
            field: "klaviyo.api_key".into(),
            source: &klaviyo.api_key,
            used_by: vec!["the Klaviyo sync".into()],
        });
    }
    if let (true, Some(server)) = (needs.server, &project.file.server) {
        for (n, token) in server.tokens.iter().enumerate() {
            out.push(Needed {
                path: root.key("server").key("tokens").index(n),
                field: format!("server.tokens[{n}]"),
                source: token,
                used_by: vec!["the HTTP server".into()],
            });
        }
    }
    out
}
