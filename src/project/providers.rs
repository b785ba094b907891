use std::collections::BTreeMap;

/// The group of every domain that no other group lists.
pub const OTHER_PROVIDER: &str = "other";

/// The default mailbox-provider groups: gmail, microsoft, yahoo, apple (and `other`).
pub fn default_mailbox_providers() -> BTreeMap<String, Vec<String>> {
    let groups: [(&str, &[&str]); 4] = [
        ("gmail", &["gmail.com", "googlemail.com"]),
        (
            "microsoft",
            &[
                "outlook.com",
                "hotmail.com",
                "live.com",
                "msn.com",
                "hotmail.co.uk",
                "outlook.de",
            ],
        ),
        (
            "yahoo",
            &[
                "yahoo.com",
                "ymail.com",
                "aol.com",
                "yahoo.co.uk",
                "rocketmail.com",
            ],
        ),
        ("apple", &["icloud.com", "me.com", "mac.com"]),
    ];
    groups
        .into_iter()
        .map(|(name, domains)| {
            (
                name.to_owned(),
                domains.iter().map(|d| (*d).to_owned()).collect(),
            )
        })
        .collect()
}

/// The mailbox-provider group of an e-mail address; `other` when no group lists its domain.
pub fn mailbox_provider_of<'a>(email: &str, groups: &'a BTreeMap<String, Vec<String>>) -> &'a str {
    let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    groups
        .iter()
        .find(|(_, domains)| domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
        .map(|(name, _)| name.as_str())
        .unwrap_or(OTHER_PROVIDER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_domains_map_to_their_group_and_the_rest_to_other() {
        let groups = default_mailbox_providers();
        assert_eq!(mailbox_provider_of("a@GMAIL.com", &groups), "gmail");
        assert_eq!(mailbox_provider_of("a@aol.com", &groups), "yahoo");
        assert_eq!(mailbox_provider_of("a@brand.example", &groups), "other");
        assert_eq!(mailbox_provider_of("no-at-sign", &groups), "other");
    }
}
