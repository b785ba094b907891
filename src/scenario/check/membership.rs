//! `klaviyo_list` / `klaviyo_segment`: a Klaviyo group id (or a template giving one).

use super::{templates, Cx};
use crate::scenario::compiled::{KlaviyoGroup, Predicate};
use crate::scenario::model;
use crate::scenario::{Code, YamlPath};

/// Compiles the membership head of `p` (the caller has checked it is the only head).
pub fn compile(cx: &mut Cx<'_>, p: &model::Predicate, path: &YamlPath) -> Option<Predicate> {
    let (group, id, field) = match (&p.klaviyo_list, &p.klaviyo_segment) {
        (Some(id), _) => (KlaviyoGroup::List, id, "klaviyo_list"),
        (None, Some(id)) => (KlaviyoGroup::Segment, id, "klaviyo_segment"),
        (None, None) => return None,
    };
    let at = path.key(field);
    if crate::template::is_template(id) {
        return templates::template(cx, id, &at).then(|| Predicate::KlaviyoMember {
            group,
            id: id.clone(),
        });
    }
    if !valid_id(id) {
        let message = format!(
            "`{field}` must be a Klaviyo {} id (letters and digits, e.g. `XyZ123`), not `{id}`",
            match group {
                KlaviyoGroup::List => "list",
                KlaviyoGroup::Segment => "segment",
            }
        );
        cx.error(&at, Code::InvalidValue, message);
        return None;
    }
    Some(Predicate::KlaviyoMember {
        group,
        id: id.clone(),
    })
}

/// Klaviyo list and segment ids are short base62 strings (`Y6nRLr`).
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::valid_id;

    #[test]
    fn ids_are_alphanumeric() {
        assert!(valid_id("XyZ123"));
        assert!(!valid_id(""));
        assert!(!valid_id("Xy Z"));
        assert!(!valid_id("{{ x"));
    }
}
