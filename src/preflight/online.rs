//! `--online`: the Klaviyo keys work and every list id the project and its scenarios use
//! exists in the account. One request page per 10 lists per key; nothing is written.

use std::collections::{BTreeMap, BTreeSet};

use super::uses::NodeUse;
use crate::klaviyo::client::ListAttributes;
use crate::klaviyo::client::{
    KlaviyoClient, KlaviyoError, Page, DEFAULT_BASE_URL, DEFAULT_REVISION,
};
use crate::project::{Project, SecretSource};
use crate::scenario::{Code, Diagnostic, Reporter, YamlPath};

/// The list ids of an account, or why they could not be read.
async fn list_ids(client: &KlaviyoClient) -> Result<BTreeSet<String>, KlaviyoError> {
    let mut pages = client.lists()?;
    let mut ids = BTreeSet::new();
    while let Some(page) = pages.next_page().await? {
        let page: Page<ListAttributes> = page;
        ids.extend(page.data.into_iter().map(|list| list.id));
    }
    Ok(ids)
}

/// One Klaviyo account as the project reaches it: where its key is configured and which list
/// ids are used with it (id → where).
struct Account<'a> {
    key_path: YamlPath,
    field: String,
    source: &'a SecretSource,
    base_url: String,
    revision: String,
    lists: BTreeMap<String, Vec<ListUse<'a>>>,
}

/// Where a list id is used.
enum ListUse<'a> {
    /// `with.list_id` of a preset node.
    Node(&'a NodeUse),
    /// A key of the project's `klaviyo.lists`.
    Mapping(YamlPath),
}

/// The rendered `with.list_id` of a preset node (params resolved), if it has one.
fn node_list(node: &NodeUse) -> Option<String> {
    node.text("preset")?;
    let source = node.value.get("with")?.get("list_id")?.as_str()?;
    let context =
        minijinja::context! { params => minijinja::Value::from_serialize(&node.file.params) };
    crate::template::environment()
        .render_str(source, context)
        .ok()
        .filter(|id| !id.trim().is_empty())
}

fn accounts<'a>(project: &'a Project, nodes: &'a [NodeUse]) -> Vec<Account<'a>> {
    let root = YamlPath::root();
    let mut by_auth: BTreeMap<String, Account<'a>> = BTreeMap::new();
    for node in nodes {
        let (Some(auth), Some(list)) = (node.text("auth"), node_list(node)) else {
            continue;
        };
        let Some(schema) = project.file.auth.get(auth) else {
            continue;
        };
        by_auth
            .entry(auth.to_owned())
            .or_insert_with(|| Account {
                key_path: root.key("auth").key(auth).key("secret"),
                field: format!("auth.{auth}.secret"),
                source: &schema.secret,
                base_url: schema.base_url.clone().unwrap_or(DEFAULT_BASE_URL.into()),
                revision: schema.revision.clone().unwrap_or(DEFAULT_REVISION.into()),
                lists: BTreeMap::new(),
            })
            .lists
            .entry(list)
            .or_default()
            .push(ListUse::Node(node));
    }
    let mut out: Vec<Account<'a>> = by_auth.into_values().collect();
    if let Some(klaviyo) = &project.file.klaviyo {
        let lists = klaviyo
            .lists
            .keys()
            .map(|id| {
                let at = root.key("klaviyo").key("lists").key(id.clone());
                (id.clone(), vec![ListUse::Mapping(at)])
            })
            .collect();
        out.push(Account {
            key_path: root.key("klaviyo").key("api_key"),
            field: "klaviyo.api_key".into(),
            source: &klaviyo.api_key,
            base_url: klaviyo.base_url.clone().unwrap_or(DEFAULT_BASE_URL.into()),
            revision: klaviyo.revision.clone().unwrap_or(DEFAULT_REVISION.into()),
            lists,
        });
    }
    out
}

/// Checks every account: project-file problems go to `reporter`, scenario ones to `out`.
pub async fn check(
    project: &Project,
    nodes: &[NodeUse],
    reporter: &mut Reporter,
    out: &mut Vec<Diagnostic>,
) {
    for account in accounts(project, nodes) {
        // An unreadable key is already reported by the offline checks.
        let Ok(key) = account.source.read(&project.root) else {
            continue;
        };
        let client = match KlaviyoClient::new(&account.base_url, key, &account.revision) {
            Ok(client) => client,
            Err(error) => {
                reporter.value(
                    &account.key_path,
                    Code::KlaviyoKeyRefused,
                    None,
                    error.to_string(),
                );
                continue;
            }
        };
        let existing = match list_ids(&client).await {
            Ok(ids) => ids,
            Err(error) => {
                let what = if error.is_authentication() {
                    "Klaviyo refuses the key"
                } else {
                    "cannot list Klaviyo's lists with the key"
                };
                reporter.value(
                    &account.key_path,
                    Code::KlaviyoKeyRefused,
                    None,
                    format!("`{}`: {what}: {error}", account.field),
                );
                continue;
            }
        };
        for (list, uses) in &account.lists {
            if existing.contains(list) {
                continue;
            }
            let message = format!(
                "Klaviyo has no list `{list}` (checked with `{}`)",
                account.field
            );
            for place in uses {
                match place {
                    ListUse::Node(node) => out.push(
                        Diagnostic::new(
                            &node.file.source,
                            node.span_of(&["with", "list_id"]),
                            Code::UnknownKlaviyoList,
                            message.clone(),
                        )
                        .with_node(Some(&node.node)),
                    ),
                    ListUse::Mapping(at) => {
                        reporter.key(at, Code::UnknownKlaviyoList, None, message.clone());
                    }
                }
            }
        }
    }
}
